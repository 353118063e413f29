// When Slurm will not run the pilots: sbatch refused (a partition that does not exist) pauses
// submission after 3 failures in a row, with the reason in GET /broker and GET
// /broker/allocations, one sbatch a poll interval at most (no storm); the resume route, a manual
// submit and a config reload resume it. Pilots that die at start (3 in a row) pause it too, and
// so do allocations Slurm keeps queued for a reason that never clears (cancelled at once).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AllocationsJson } from '../../../../contract/types.js';
import { startInProcess, type InProcessDaemon } from '../../../helpers/in-process.js';
import { submit, waitState } from '../../../helpers/jobs.js';
import { startSlurm, type Slurm } from '../../../helpers/slurm.js';
import { slurmWrappers, type SlurmWrappers } from '../../../helpers/slurm-wrappers.js';
import { waitFor } from '../../../helpers/wait.js';

let slurm: Slurm;
const daemons: InProcessDaemon[] = [];
before(async () => {
  slurm = await startSlurm();
});
after(async () => {
  for (const d of daemons) await d.cleanup();
  await slurm?.stop();
});

async function daemon(slurmConfig: Record<string, unknown>): Promise<{ d: InProcessDaemon; w: SlurmWrappers }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-test-'));
  const w = slurmWrappers(dir);
  const d = await startInProcess({
    dir,
    config: {
      broker: {
        concurrency: 2,
        local_slots: 0,
        slurm: { slots_per_launcher: 2, cpus_per_launcher: 1, max_launchers: 1, poll_interval: 1, time_limit: 10, ...slurmConfig, env: { ...slurm.env, PATH: w.path, ...(slurmConfig.env as object) } },
      },
    },
  });
  daemons.push(d);
  return { d, w };
}

const paused = async (d: InProcessDaemon): Promise<string | null> => ((await d.api('GET', '/broker/allocations')) as AllocationsJson).paused;

describe('Slurm allocations that fail', () => {
  it('a bad partition: paused after 3 sbatch failures with the reason, no storm; resume, a manual submit and a config reload', async () => {
    const { d, w } = await daemon({ partition: 'nope', max_launchers: 2 });
    const [job] = await submit(d, { command: 'true', cwd: d.dir });
    const reason = 'sbatch failed 3 times in a row: sbatch: error: invalid partition specified: nope';
    await waitFor('submission to pause', async () => (await paused(d)) !== null || undefined, { timeout: 30_000 });
    assert.equal(await paused(d), reason);
    assert.equal(w.count('sbatch'), 3);
    const b = await d.request('GET', '/broker');
    assert.match(b.text, new RegExp(`^Allocations paused:\\t${reason}$`, 'm'));
    assert.equal((await d.api('GET', '/broker')).allocations.paused, reason);
    assert.match(d.log.join('\n'), /error allocations paused: sbatch failed 3 times in a row: sbatch: error: invalid partition specified: nope; POST \/broker\/allocations\/resume/);
    assert.match(d.log.join('\n'), /warn  sbatch failed \(1 in a row\): sbatch: error: invalid partition specified: nope/);
    const metrics = (await d.request('GET', '/metrics')).text;
    assert.match(metrics, /^bl_allocation_failures_total\{kind="sbatch"\} 3$/m);
    assert.match(metrics, /^bl_allocations_paused 1$/m);

    // No storm: a failed sbatch waits a poll interval; paused, none at all.
    const at = w.calls('sbatch').map((c) => c.at);
    for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= 0.9, `sbatch ${i + 1} came ${(at[i]! - at[i - 1]!).toFixed(2)} s after the one before`);
    const a = d.services.broker.allocations;
    const rounds = a.rounds;
    await waitFor('three more poll rounds', () => a.rounds >= rounds + 3, { timeout: 20_000 });
    assert.equal(w.count('sbatch'), 3, 'no sbatch while paused');

    // The resume route: a fresh try at once (and a fresh count of failures).
    const r = await d.request('POST', '/broker/allocations/resume');
    assert.equal(r.text, 'Allocation submission resumed\n');
    await waitFor('an sbatch after the resume', () => w.count('sbatch') >= 4);
    assert.match(d.log.join('\n'), /info  allocations resumed \(by POST \/broker\/allocations\/resume\)/);

    // A manual submit (room for it beside the automatic one) says why sbatch failed.
    const m = await d.request('POST', '/broker/allocations', '1');
    assert.equal(m.status, 503);
    assert.equal(m.text, 'ERROR: sbatch failed: sbatch: error: invalid partition specified: nope\n');

    // The config fixed and reloaded: allocations go again and the job runs.
    const file = path.join(d.dir, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    config.broker.slurm.partition = slurm.partition;
    writeFileSync(file, JSON.stringify(config));
    await d.api('POST', '/config/reload');
    const done = await waitState(d, job!.id, ['succeeded', 'failed'], 60_000);
    assert.equal(done.state, 'succeeded');
    assert.match(done.launcher ?? '', /^slurm-\d+$/);
    assert.equal(await paused(d), null);
  });

  it('pilots that die at start: paused after 3 in a row, the reason says how the last one ended and what it printed', async () => {
    // Node refuses to start with this in NODE_OPTIONS: each pilot exits at once, never connecting.
    const { d, w } = await daemon({ env: { NODE_OPTIONS: '--no-such-flag' } });
    await submit(d, { command: 'true', cwd: d.dir });
    const reason = await waitFor('submission to pause', () => paused(d), { timeout: 60_000 });
    assert.match(reason, /^3 allocations in a row died at start; the last: allocation \d+ ended without its launcher connecting: failed \(Slurm: FAILED, NonZeroExitCode\); its output ends: ".*--no-such-flag.*"$/);
    assert.equal(w.count('sbatch'), 3);
    const list: AllocationsJson = await d.api('GET', '/broker/allocations');
    assert.equal(list.allocations.length, 3);
    for (const x of list.allocations) {
      assert.equal(x.state, 'ended');
      assert.equal(x.connected, false);
      assert.equal(x.jobs_run, 0);
    }
    assert.match((await d.request('GET', '/metrics')).text, /^bl_allocation_failures_total\{kind="start"\} 3$/m);
    assert.match(d.log.join('\n'), /warn  allocation \d+ died at start \(3 in a row\): allocation \d+ ended without its launcher connecting/);
  });
  it('pilots Slurm will never start (more CPUs than the node has): each cancelled at once, paused after 3 with the reason', async () => {
    const { d, w } = await daemon({ cpus_per_launcher: 64 });
    await submit(d, { command: 'true', cwd: d.dir });
    const reason = await waitFor('submission to pause', () => paused(d), { timeout: 60_000 });
    assert.match(reason, /^3 allocations in a row died at start; the last: allocation \d+ ended without its launcher connecting: Slurm will not start it as asked: (PartitionConfig|BadConstraints|PartitionNodeLimit) \(/);
    assert.equal(w.count('sbatch'), 3);
    assert.equal(w.count('scancel'), 3);
    const list: AllocationsJson = await d.api('GET', '/broker/allocations');
    assert.deepEqual(list.allocations.map((x) => x.state), ['ended', 'ended', 'ended']);
    const queued = slurm.run('squeue', ['-h', '-o', '%i']).split('\n');
    assert.deepEqual(list.allocations.filter((x) => queued.includes(x.id)), [], 'none left waiting in Slurm');
    assert.match(d.log.join('\n'), /warn  broker\.slurm: allocation \d+: Slurm will not start it as asked/);
  });
});
