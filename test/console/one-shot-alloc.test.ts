// `alloc` without a terminal (-c, --status, --json), as a script meets it: the list with the
// pause on top, submitting and cancelling allocations, a daemon without Slurm, several daemons.
// Against a real bl-daemon with broker.slurm over a real one-node Slurm (one pilot fills the
// node: one allocation runs, the next wait in Slurm's queue), and one without broker.slurm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { startSlurmDaemon, type Scene, type SlurmDaemon } from '../helpers/slurm-daemon.js';
import { runConsole } from './run-console.js';

let slurm: SlurmDaemon;
let plain: InProcessDaemon;
let plainHost: string;
let scene: Scene;
const confDir = mkdtempSync(path.join(tmpdir(), 'bl-one-shot-conf-'));
before(async () => {
  [slurm, plain] = await Promise.all([startSlurmDaemon(), startInProcess({ config: { broker: { concurrency: 2 } } })]);
  plainHost = new URL(plain.url).host;
  scene = await slurm.scene();
});
after(async () => {
  await Promise.all([slurm?.stop(), plain?.cleanup()]);
  rmSync(confDir, { recursive: true, force: true });
});

const run = (args: string[]) => runConsole(args, { confDir });
const re = (s: string) => s.replace(/[./]/g, '\\$&');
const DRAINED = 'sbatch: error: Batch job submission failed: Required partition not available (inactive or drain)';

test('alloc: a row an allocation (ID, STATE, NODE, TIME LEFT, JOBS, CONNECTED, REASON); the pause on top; --json the daemon’s JSON', async () => {
  const { running, pending, ended } = scene;
  const node = re(slurm.slurm.node);
  const r = await run([`-host=${slurm.host}`, '-c', 'alloc']);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    new RegExp(
      `^ID +STATE +NODE +TIME LEFT +JOBS +CONNECTED +REASON\\n${ended} +ended +- +- +0 +- +cancelled by DELETE /broker/allocations/${ended}\\n` +
        `${running} +running +${node} +(50m 00s|49m \\d\\ds) +1 +yes\\n${pending} +pending +- +- +0 +no +waiting in Slurm: \\w+\\n$`,
    ),
  );

  // The partition drained: each sbatch is refused, and three in a row pause submission.
  slurm.drain();
  try {
    for (let i = 0; i < 3; i++) {
      const refused = await run([`-host=${slurm.host}`, '-c', 'alloc add']);
      assert.equal(refused.code, 1, refused.out);
      assert.equal(refused.err, `ERROR: sbatch failed: ${DRAINED}\n`);
    }
  } finally {
    slurm.undrain();
  }
  const paused = await run([`-host=${slurm.host}`, '-c', 'alloc ls']);
  assert.equal(paused.code, 0, paused.err);
  assert.match(paused.out, new RegExp(`^Paused: sbatch failed 3 times in a row: ${re(DRAINED).replace(/[()]/g, '\\$&')} \\(alloc resume submits again\\)\\nID +STATE `));

  const json = JSON.parse((await run([`-host=${slurm.host}`, '--json', '-c', 'alloc'])).out);
  assert.equal(json.paused, `sbatch failed 3 times in a row: ${DRAINED}`);
  assert.deepEqual(
    json.allocations.map((a: { id: string; state: string; node: string | null }) => [a.id, a.state, a.node]),
    [[ended, 'ended', null], [running, 'running', slurm.slurm.node], [pending, 'pending', null]],
  );
  assert.ok(json.allocations[1].time_left_s > 2900, JSON.stringify(json.allocations[1]));

  const resumed = await run([`-host=${slurm.host}`, '-c', 'alloc resume']);
  assert.equal(resumed.code, 0, resumed.err);
  assert.equal(resumed.out, 'Allocation submission resumed\n');
  assert.equal((await slurm.list()).paused, null);
});

test('alloc add [N] submits N now (one by default), in the daemon’s words; alloc cancel ID; an unknown id is refused (exit 1)', async () => {
  const sbatches = slurm.calls.count('sbatch');
  const one = await run([`-host=${slurm.host}`, '-c', 'alloc add']);
  assert.equal(one.code, 0, one.err);
  const [, first] = /^Submitted 1 allocation: (\d+)\n$/.exec(one.out) ?? assert.fail(one.out);
  const two = await run([`-host=${slurm.host}`, '-c', 'alloc add 2']);
  const [, second, third] = /^Submitted 2 allocations: (\d+), (\d+)\n$/.exec(two.out) ?? assert.fail(two.out);
  assert.deepEqual([Number(second), Number(third)], [Number(first) + 1, Number(first) + 2], "Slurm's ids, in order");
  assert.equal(slurm.calls.count('sbatch'), sbatches + 3, 'one sbatch an allocation');
  const json = JSON.parse((await run([`-host=${slurm.host}`, '--json', '-c', 'alloc add'])).out);
  assert.deepEqual(json.allocations.map((a: { id: string; state: string }) => [a.id, a.state]), [[String(Number(first) + 3), 'pending']]);

  const cancelled = await run([`-host=${slurm.host}`, '-c', `alloc cancel ${first}; alloc`]);
  assert.equal(cancelled.code, 0, cancelled.err);
  assert.match(cancelled.out, new RegExp(`^Cancelled allocation ${first}\\nID .*\\n(.*\\n)*${first} +ended +- +- +0 +- +cancelled by DELETE /broker/allocations/${first}\\n`));
  assert.match(slurm.slurm.run('squeue', ['-h', '-t', 'all', '-j', first!, '-o', '%T']), /^CANCELLED$/m, 'Slurm has it cancelled');
  const unknown = await run([`-host=${slurm.host}`, '-c', 'alloc cancel 999']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, new RegExp(`^ERROR: no allocation 999 \\(known: [\\d, ]*${scene.running}[\\d, ]*\\)\\n$`));

  const bad = await run([`-host=${slurm.host}`, '-c', 'alloc add zero']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, 'ERROR: alloc add: expected how many allocations to submit (1 or more), got "zero"\n');
  assert.equal(slurm.calls.count('sbatch'), sbatches + 4, 'nothing asked of Slurm');
});

test('a daemon without broker.slurm: its 409 message, once, exit 1, for every alloc command; broker and --status say nothing of allocations', async () => {
  for (const line of ['alloc', 'alloc add 2', `alloc cancel ${scene.running}`, 'alloc resume']) {
    const r = await run([`-host=${plainHost}`, '-c', line]);
    assert.equal(r.code, 1, line);
    assert.equal(r.out, '', line);
    assert.equal(r.err, 'ERROR: no broker.slurm in the config\n', line);
  }
  const status = await run([`-host=${plainHost}`, '--status']);
  assert.equal(status.code, 0, status.err);
  assert.doesNotMatch(status.out, /Allocations/);
  const live = (await slurm.list()).allocations;
  const pending = live.filter((a) => a.state === 'pending').length;
  const withSlurm = await run([`-host=${slurm.host}`, '--status']);
  assert.match(withSlurm.out, new RegExp(`^Allocations: +1 running, ${pending} pending$`, 'm'));
});

test('several daemons: alloc lists every one’s, labelled; add, cancel and resume ask which (exit 2) unless -host= says', async () => {
  const hosts = `-host=${slurm.host},${plainHost}`;
  const ls = await run([hosts, '-c', 'alloc']);
  assert.equal(ls.code, 1, 'one of them has no Slurm');
  assert.match(ls.out, new RegExp(`^── ${re(slurm.host)}\\nID +STATE .*\\n(.*\\n)*${scene.running} +running +${re(slurm.slurm.node)} [\\s\\S]*── ${re(plainHost)}\\n$`));
  assert.equal(ls.err, 'ERROR: no broker.slurm in the config\n');

  for (const line of ['alloc add', `alloc cancel ${scene.running}`, 'alloc resume']) {
    const asked = await run([hosts, '-c', line]);
    assert.equal(asked.code, 2, line);
    assert.equal(asked.err, `ERROR: alloc goes to one daemon and 2 are connected: say which with -host=HOST (one of ${slurm.host}, ${plainHost}), e.g. ${line} -host=${slurm.host}\n`);
  }
  // A bad line is said once, before any host is asked which.
  const bad = await run([hosts, '-c', 'alloc cancel']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, 'ERROR: usage: alloc cancel ID (got none)\n');

  const sent = await run([hosts, '-c', `alloc add -host=${slurm.host}`]);
  assert.equal(sent.code, 0, sent.err);
  const [, id] = new RegExp(`^── ${re(slurm.host)}\\nSubmitted 1 allocation: (\\d+)\\n$`).exec(sent.out) ?? assert.fail(sent.out);
  assert.equal((await slurm.get(id!))?.state, 'pending');
  const json = JSON.parse((await run([hosts, '--json', '-c', 'alloc'])).out);
  assert.deepEqual(Object.keys(json), [slurm.host], 'keyed by host; the one without Slurm has nothing to give');
});

test('help lists alloc', async () => {
  const r = await run([`-host=${plainHost}`, '-c', 'help alloc']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^alloc \[ls \| add \[N\] \| cancel ID \| resume\] +allocations +Slurm allocations running launchers: list, submit N now, cancel one, resume submitting$/m);
});
