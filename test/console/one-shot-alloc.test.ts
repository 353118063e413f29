// `alloc` without a terminal (-c, --status, --json), as a script meets it: the list with the
// pause on top, submitting and cancelling allocations, a daemon without Slurm, several daemons.
// Against the console's fake daemon, which serves the contract's allocation routes while the
// daemon's own are being built (switch to a real daemon with `broker.slurm` once they land).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeAllocations } from '../helpers/fake-allocations.js';
import { startFakeDaemon, type FakeDaemon } from './fake-daemon.js';
import { runConsole } from './run-console.js';

let slurm: FakeDaemon;
let plain: FakeDaemon;
let allocs: FakeAllocations;
const confDir = mkdtempSync(path.join(tmpdir(), 'bl-one-shot-conf-'));
before(async () => {
  [slurm, plain] = await Promise.all([startFakeDaemon(['Web']), startFakeDaemon(['Db'])]);
  allocs = slurm.allocations = new FakeAllocations();
  allocs.add({ id: '4001' });
  allocs.start('4001', 'cn01', 50 * 60);
  allocs.get('4001').jobs_run = 7;
  allocs.add({ id: '4002' });
});
after(async () => {
  await Promise.all([slurm.close(), plain.close()]);
  rmSync(confDir, { recursive: true, force: true });
});

const run = (args: string[]) => runConsole(args, { confDir });
const re = (s: string) => s.replace(/[./]/g, '\\$&');

test('alloc: a row an allocation (ID, STATE, NODE, TIME LEFT, JOBS, CONNECTED, REASON); the pause on top; --json the daemon’s JSON', async () => {
  const r = await run([`-host=${slurm.host}`, '-c', 'alloc']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ID +STATE +NODE +TIME LEFT +JOBS +CONNECTED +REASON\n4001 +running +cn01 +(50m 00s|49m \d\ds) +7 +yes\n4002 +pending +- +- +0 +no\n$/);

  allocs.pause('sbatch failed 3 times in a row: sbatch: error: invalid partition specified: gpu');
  const paused = await run([`-host=${slurm.host}`, '-c', 'alloc ls']);
  assert.equal(paused.code, 0, paused.err);
  assert.match(paused.out, /^Paused: sbatch failed 3 times in a row: sbatch: error: invalid partition specified: gpu \(alloc resume submits again\)\nID +STATE /);

  const json = JSON.parse((await run([`-host=${slurm.host}`, '--json', '-c', 'alloc'])).out);
  assert.equal(json.paused, allocs.paused);
  assert.deepEqual(json.allocations.map((a: { id: string; state: string; node: string | null }) => [a.id, a.state, a.node]), [['4001', 'running', 'cn01'], ['4002', 'pending', null]]);
  assert.ok(json.allocations[0].time_left_s > 2900, JSON.stringify(json.allocations[0]));

  const resumed = await run([`-host=${slurm.host}`, '-c', 'alloc resume']);
  assert.equal(resumed.code, 0, resumed.err);
  assert.equal(resumed.out, 'Resumed: allocations are submitted again as pending work needs them\n');
  assert.equal(allocs.paused, null);
});

test('alloc add [N] submits N now (one by default), in the daemon’s words; alloc cancel ID; an unknown id is refused (exit 1)', async () => {
  allocs.calls.length = 0;
  const one = await run([`-host=${slurm.host}`, '-c', 'alloc add']);
  assert.equal(one.code, 0, one.err);
  assert.equal(one.out, 'Submitted 1 allocation: 4003\n');
  const two = await run([`-host=${slurm.host}`, '-c', 'alloc add 2']);
  assert.equal(two.out, 'Submitted 2 allocations: 4004, 4005\n');
  assert.deepEqual(allocs.calls.map((c) => `${c.method} ${c.path} ${c.body}`), ['POST /broker/allocations {"count":1}', 'POST /broker/allocations {"count":2}']);
  const json = JSON.parse((await run([`-host=${slurm.host}`, '--json', '-c', 'alloc add'])).out);
  assert.deepEqual(json.allocations.map((a: { id: string; state: string }) => [a.id, a.state]), [['4006', 'pending']]);

  const cancelled = await run([`-host=${slurm.host}`, '-c', 'alloc cancel 4003; alloc']);
  assert.equal(cancelled.code, 0, cancelled.err);
  assert.match(cancelled.out, /^Cancelled allocation 4003\nID .*\n(.*\n)*4003 +ended +- +- +0 +- +cancelled\n/);
  const unknown = await run([`-host=${slurm.host}`, '-c', 'alloc cancel 999']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.err, 'ERROR: no allocation "999": expected the Slurm job id of one of this daemon\'s allocations\n');

  allocs.calls.length = 0;
  const bad = await run([`-host=${slurm.host}`, '-c', 'alloc add zero']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, 'ERROR: alloc add: expected how many allocations to submit (1 or more), got "zero"\n');
  assert.deepEqual(allocs.calls, [], 'nothing asked of the daemon');
});

test('a daemon without broker.slurm: its 409 message, once, exit 1, for every alloc command; broker and --status say nothing of allocations', async () => {
  for (const line of ['alloc', 'alloc add 2', 'alloc cancel 4001', 'alloc resume']) {
    const r = await run([`-host=${plain.host}`, '-c', line]);
    assert.equal(r.code, 1, line);
    assert.equal(r.out, '', line);
    assert.equal(r.err, 'ERROR: no broker.slurm in the config\n', line);
  }
  const status = await run([`-host=${plain.host}`, '--status']);
  assert.equal(status.code, 0, status.err);
  assert.doesNotMatch(status.out, /Allocations/);
  const withSlurm = await run([`-host=${slurm.host}`, '--status']);
  assert.match(withSlurm.out, /^Allocations: +1 running, 4 pending$/m);
});

test('several daemons: alloc lists every one’s, labelled; add, cancel and resume ask which (exit 2) unless -host= says', async () => {
  const hosts = `-host=${slurm.host},${plain.host}`;
  const ls = await run([hosts, '-c', 'alloc']);
  assert.equal(ls.code, 1, 'one of them has no Slurm');
  assert.match(ls.out, new RegExp(`^── ${re(slurm.host)}\\nID +STATE .*\\n4001 +running +cn01 [\\s\\S]*── ${re(plain.host)}\\n$`));
  assert.equal(ls.err, 'ERROR: no broker.slurm in the config\n');

  for (const line of ['alloc add', 'alloc cancel 4001', 'alloc resume']) {
    const asked = await run([hosts, '-c', line]);
    assert.equal(asked.code, 2, line);
    assert.equal(asked.err, `ERROR: alloc goes to one daemon and 2 are connected: say which with -host=HOST (one of ${slurm.host}, ${plain.host}), e.g. ${line} -host=${slurm.host}\n`);
  }
  // A bad line is said once, before any host is asked which.
  const bad = await run([hosts, '-c', 'alloc cancel']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, 'ERROR: usage: alloc cancel ID (got none)\n');

  const sent = await run([hosts, '-c', `alloc add -host=${slurm.host}`]);
  assert.equal(sent.code, 0, sent.err);
  assert.equal(sent.out, `── ${slurm.host}\nSubmitted 1 allocation: 4007\n`);
  const json = JSON.parse((await run([hosts, '--json', '-c', 'alloc'])).out);
  assert.deepEqual(Object.keys(json), [slurm.host], 'keyed by host; the one without Slurm has nothing to give');
});

test('help lists alloc', async () => {
  const r = await run([`-host=${plain.host}`, '-c', 'help alloc']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^alloc \[ls \| add \[N\] \| cancel ID \| resume\] +allocations +Slurm allocations running launchers: list, submit N now, cancel one, resume submitting$/m);
});
