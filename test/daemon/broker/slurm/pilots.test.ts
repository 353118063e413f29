// Jobs through pilots that a real one-node Slurm started: the daemon (in this process) submits
// allocations when jobs wait, their bl-launchers run the jobs, every job succeeds exactly once,
// the daemon polls Slurm once a poll interval for all its allocations (never per job), and its
// shutdown cancels every allocation. The Slurm calls are counted by wrappers on the PATH the
// daemon gives its Slurm commands.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AllocationsJson, JobJson } from '../../../../contract/types.js';
import { startInProcess, type InProcessDaemon } from '../../../helpers/in-process.js';
import { allJobs, submit } from '../../../helpers/jobs.js';
import { startSlurm, type Slurm } from '../../../helpers/slurm.js';
import { slurmWrappers } from '../../../helpers/slurm-wrappers.js';
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

/** Our allocations Slurm still has pending or running. */
function aliveInSlurm(ids: string[]): string[] {
  if (ids.length === 0) return [];
  const out = slurm.run('squeue', ['-h', '-t', 'all', '-j', ids.join(','), '-o', '%i %T']);
  return out.split('\n').filter((l) => /\b(PENDING|RUNNING|CONFIGURING)\b/.test(l));
}

describe('Slurm pilots', () => {
  it('50 jobs at concurrency 8 with local_slots 0 run through pilots Slurm started, each exactly once; one squeue a poll, never one a job; shutdown cancels every allocation', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-test-'));
    const w = slurmWrappers(dir);
    const ran = path.join(dir, 'ran');
    mkdirSync(ran);
    const live = await startInProcess({
      dir,
      config: {
        broker: {
          concurrency: 8,
          local_slots: 0,
          slurm: { slots_per_launcher: 4, cpus_per_launcher: 1, max_launchers: 2, poll_interval: 1, time_limit: '10:00', env: { ...slurm.env, PATH: w.path } },
        },
      },
    });
    daemons.push(live);
    const started = Date.now();
    const jobs = await submit(live, Array.from({ length: 50 }, (_, i) => ({ command: `sleep 0.2; echo "$BL_JOB_ID" >> ${ran}/${i}`, cwd: dir })));
    await waitFor('50 jobs to end', async () => (await live.api('GET', '/broker')).counts.succeeded + (await live.api('GET', '/broker')).counts.failed === 50 || undefined, {
      timeout: 180_000,
      interval: 250,
    });
    const ranFor = Date.now() - started;
    const done: JobJson[] = await allJobs(live, 'completed');
    assert.equal(done.length, 50);
    for (const j of done) {
      assert.equal(j.state, 'succeeded', `job ${j.id}: ${j.reason}`);
      assert.equal(j.attempt, 1);
      assert.match(j.launcher ?? '', /^slurm-\d+$/);
    }
    // Each job's side effect happened once.
    assert.deepEqual(readdirSync(ran).length, 50);
    for (const [i, j] of jobs.entries()) assert.equal(readFileSync(path.join(ran, String(i)), 'utf8'), `${j.id}\n`);

    const allocs: AllocationsJson = await live.api('GET', '/broker/allocations');
    assert.equal(allocs.paused, null);
    assert.ok(allocs.allocations.length >= 1 && allocs.allocations.length <= 2, JSON.stringify(allocs));
    assert.equal(allocs.allocations.reduce((n, a) => n + a.jobs_run, 0), 50);
    const launchers = new Set(done.map((j) => j.launcher));
    assert.deepEqual([...launchers].sort(), allocs.allocations.map((a) => a.launcher).filter((l) => launchers.has(l)).sort());

    const a = live.services.broker.allocations;
    const squeue = w.count('squeue');
    assert.equal(w.count('sbatch'), allocs.allocations.length);
    assert.equal(squeue, a.polls, 'every squeue is a poll');
    assert.ok(a.polls <= a.rounds, 'at most one squeue a poll round');
    assert.equal(w.count('scontrol'), 0);

    const ids = allocs.allocations.filter((x) => x.state !== 'ended').map((x) => x.id);
    assert.ok(ids.length > 0);
    await live.stop();
    t.diagnostic(
      `Slurm calls for 50 jobs (${(ranFor / 1000).toFixed(1)} s from submit to the last end) and the shutdown: sbatch ${w.count('sbatch')}, squeue ${w.count('squeue')} (poll rounds ${a.rounds}, polls ${a.polls}), scancel ${w.count('scancel')}, scontrol ${w.count('scontrol')}; the pilots' own: ${w.count('scontrol', 'any') - w.count('scontrol')} scontrol`,
    );
    assert.equal(w.count('scancel'), 1, 'one scancel for all at shutdown');
    assert.deepEqual(aliveInSlurm(ids), []);
  });
});
