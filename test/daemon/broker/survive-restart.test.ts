// Running jobs survive a restart of the daemon: their spawn helpers stay as their keepers and
// write their ends, and the next daemon records each real end or follows the job to it, with
// no second run. A job whose keeper died too ends re-queued or lost, never running for good.
// Real daemon processes (kill -9 and what the next one finds), real jobs.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { alive, descendants, isSpawner, pidsWithEnv, ppidOf, statFields } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';
import { Marks, submit, waitState } from '../../helpers/jobs.js';
import type { JobJson } from '../../../contract/types.js';

/** How many runs of job `i` made their mark (one file a run, named by the run's pid). */
const runsOf = (dir: string, i: number) => readdirSync(dir).filter((f) => f.startsWith(`${i}.`)).length;

async function waitAllEnded(d: TestDaemon, ids: string[], timeout = 90000): Promise<JobJson[]> {
  return waitFor(
    `all ${ids.length} jobs to end`,
    async () => {
      const jobs: JobJson[] = await Promise.all(ids.map((id) => d.api('GET', `/jobs/${id}`)));
      return jobs.every((j) => j.state !== 'running' && j.state !== 'pending') ? jobs : undefined;
    },
    { timeout, interval: 100 },
  );
}

describe('running jobs survive a restart of the daemon', () => {
  const daemons: TestDaemon[] = [];
  after(async () => {
    for (const d of daemons.reverse()) {
      await d.stop();
      // A test that failed midway may have left jobs to keepers: they go with it.
      for (const k of pidsWithEnv('BL_KEEPER_OF', path.join(d.dir, 'state', 'jobs', 'ends'))) {
        for (const p of [...descendants(k), k]) process.kill(p, 'SIGKILL');
      }
      d.cleanup();
    }
  });

  it('kill -9 during 20 running 3-second jobs, restarted at once: each ends with its real exit code, attempt 1, run once', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 20 } } });
    daemons.push(d);
    const runs = new Marks(path.join(d.dir, 'runs'));
    const code = (i: number) => i % 4;
    // A job that exits 0 has a retry to spend: a re-queue instead of its end would run it twice.
    const jobs = await submit(
      d,
      Array.from({ length: 20 }, (_, i) => ({ command: `: > ${runs.path(`${i}.$$`)}; echo job ${i}; sleep 3; exit ${code(i)}`, cwd: '/', retries: code(i) === 0 ? 1 : 0 })),
    );
    await waitFor('all 20 jobs to run', () => readdirSync(runs.dir).length === 20, { timeout: 30000 });
    await d.kill9();
    const d2 = await d.restart();
    daemons.push(d2);
    const ended = await waitAllEnded(d2, jobs.map((j) => j.id));
    ended.forEach((j, i) => {
      assert.deepEqual([j.state, j.exit_code, j.attempt], [code(i) === 0 ? 'succeeded' : 'failed', code(i), 1], `job ${i}: ${JSON.stringify(j)}`);
      assert.ok(j.usage, `job ${i} has its usage`);
      assert.equal(runsOf(runs.dir, i), 1, `job ${i} ran once`);
    });
    for (const [i, j] of ended.entries()) assert.equal((await d2.request('GET', `/jobs/${j.id}/log`)).text, `job ${i}\n`);
    assert.deepEqual(readdirSync(path.join(d.dir, 'state', 'jobs', 'ends')), [], 'each end file is removed once recorded');
  });

  it('an end written while no daemon ran is recorded; a running job is followed: its walltime from its start, cancel, its log', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 3 } } });
    daemons.push(d);
    const marks = new Marks(path.join(d.dir, 'marks'));
    const [done] = await submit(d, { command: `${marks.made('done-runs')}; ${marks.awaited('done-go')}; echo done; exit 5`, cwd: '/' });
    // Its child in a session of its own: a cancel takes it too.
    const [held] = await submit(d, { command: `${marks.made('held-runs')}; setsid sleep 600 & echo held; ${marks.awaited('held-go')}`, cwd: '/' });
    const [slow] = await submit(d, { command: `${marks.made('slow-runs')}; exec sleep 600`, cwd: '/', timeout: 6 });
    for (const m of ['done-runs', 'held-runs', 'slow-runs']) await marks.waitMade(m);
    await waitFor('the held job and its child', () => pidsWithEnv('BL_JOB_ID', held!.id).length >= 3, { timeout: 30000 });
    const keepers = descendants(d.pid).filter(isSpawner);
    await d.kill9();
    marks.make('done-go');
    await waitFor('the keeper to write the end of the job that ended', () => existsSync(path.join(d.dir, 'state', 'jobs', 'ends', `${done!.id}.1.end`)), { timeout: 30000 });
    assert.ok(keepers.some(alive), 'a keeper outlives the daemon');

    const d2 = await d.restart();
    daemons.push(d2);
    const j = await waitState(d2, done!.id, 'failed');
    assert.deepEqual([j.exit_code, j.attempt], [5, 1]);
    assert.equal((await d2.request('GET', `/jobs/${done!.id}/log`)).text, 'done\n');

    const h = await d2.api('GET', `/jobs/${held!.id}`);
    assert.equal(h.state, 'running', 'the live job is followed');
    assert.ok(h.pid && alive(h.pid) && keepers.includes(ppidOf(h.pid)!), 'still the child of its keeper');
    assert.equal((await d2.request('GET', `/jobs/${held!.id}/log`)).text, 'held\n');
    await waitFor('a usage sample of the followed job', async () => (await d2.api('GET', `/jobs/${held!.id}`)).usage, { timeout: 30000 });
    await d2.api('DELETE', `/jobs/${held!.id}`);
    const c = await waitState(d2, held!.id, 'cancelled', 30000);
    assert.equal(c.signal, 'SIGTERM', 'its keeper recorded how it ended');
    await waitFor('every process of the cancelled job to be gone', () => pidsWithEnv('BL_JOB_ID', held!.id).length === 0, { timeout: 30000 });

    const s = await waitState(d2, slow!.id, 'timed_out', 30000);
    assert.equal(s.attempt, 1);
    assert.match(s.reason!, /walltime of 6 s/);
  });

  it('a stop with keep_jobs=1 leaves running jobs to their keepers and the next daemon records their real ends; a normal stop leaves no process', async () => {
    // A normal stop at the end kills the job still running once force_timeout has passed.
    const d = await startDaemon({ config: { broker: { concurrency: 4 }, force_timeout: 2000 } });
    daemons.push(d);
    const marks = new Marks(path.join(d.dir, 'marks'));
    const ends = path.join(d.dir, 'state', 'jobs', 'ends');
    const [early] = await submit(d, { command: `${marks.made('early-runs')}; ${marks.awaited('early-go')}; echo early; exit 3`, cwd: '/' });
    const [late] = await submit(d, { command: `${marks.made('late-runs')}; ${marks.awaited('late-go')}; echo late`, cwd: '/', retries: 1 });
    await marks.waitMade('early-runs');
    await marks.waitMade('late-runs');
    assert.equal((await d.request('POST', '/shutdown?keep_jobs=2')).status, 400, 'keep_jobs is 1 or 0');
    const r = await d.request('POST', '/shutdown?keep_jobs=1');
    assert.equal(r.status, 202);
    assert.equal(r.text, 'Shutting down; running jobs keep running\n');
    assert.equal((await waitFor('the daemon to exit', () => d.exitInfo, { timeout: 30000 })).code, 0);
    assert.match(d.err, /running jobs keep running under their keepers/);
    assert.ok(pidsWithEnv('BL_JOB_ID', early!.id).length > 0 && pidsWithEnv('BL_JOB_ID', late!.id).length > 0, 'the jobs run on');
    marks.make('early-go');
    await waitFor('the keeper to write the end of the job that ended', () => existsSync(path.join(ends, `${early!.id}.1.end`)), { timeout: 30000 });

    const d2 = await d.restart();
    daemons.push(d2);
    const e = await waitState(d2, early!.id, 'failed');
    assert.deepEqual([e.exit_code, e.attempt], [3, 1]);
    assert.equal((await d2.api('GET', `/jobs/${late!.id}`)).state, 'running');
    marks.make('late-go');
    const l = await waitState(d2, late!.id, 'succeeded');
    assert.deepEqual([l.exit_code, l.attempt], [0, 1]);
    assert.equal((await d2.request('GET', `/jobs/${late!.id}/log`)).text, 'late\n');

    // A normal stop still stops every job, and no keeper is left.
    const [held] = await submit(d2, { command: `${marks.made('held-runs')}; ${marks.awaited('never')}`, cwd: '/' });
    await marks.waitMade('held-runs');
    assert.deepEqual((await d2.stop()).code, 0);
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', held!.id), [], 'no job process outlives a normal stop');
    await waitFor('no keeper left', () => pidsWithEnv('BL_KEEPER_OF', ends).length === 0, { timeout: 30000 });
  });

  it('a job that ended while its keeper was held up is awaited, not re-queued: its end comes once the keeper writes it', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 1 } } });
    daemons.push(d);
    const marks = new Marks(path.join(d.dir, 'marks'));
    const [job] = await submit(d, { command: `${marks.made('runs')}; ${marks.awaited('go')}; exit 6`, cwd: '/' });
    await marks.waitMade('runs');
    const leader = await waitFor('its pid', async () => (await d.api('GET', `/jobs/${job!.id}`)).pid as number | null);
    const keeper = ppidOf(leader)!;
    assert.ok(isSpawner(keeper));
    await d.kill9();
    // Stopped, the keeper cannot reap the job: it is a zombie, gone with no end written yet.
    process.kill(keeper, 'SIGSTOP');
    try {
      marks.make('go');
      await waitFor('the job to be a zombie', () => statFields(leader)?.[0] === 'Z', { timeout: 30000 });
      const d2 = await d.restart();
      daemons.push(d2);
      assert.match(d2.err, new RegExp(`job ${job!.id} of the earlier daemon: no process left; waiting for its keeper to write its end`));
      assert.equal((await d2.api('GET', `/jobs/${job!.id}`)).state, 'running');
      process.kill(keeper, 'SIGCONT');
      const j = await waitState(d2, job!.id, 'failed', 30000);
      assert.deepEqual([j.exit_code, j.attempt], [6, 1]);
    } finally {
      // Never left stopped by a test that failed; it may have exited already.
      if (alive(keeper)) process.kill(keeper, 'SIGCONT');
    }
  });

  it('kill -9 of the daemon and its keepers: every job is re-queued or lost, none left running', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 20 } } });
    daemons.push(d);
    const runs = new Marks(path.join(d.dir, 'runs'));
    // Half may run again; the other half is lost.
    const jobs = await submit(
      d,
      Array.from({ length: 20 }, (_, i) => ({ command: `: > ${runs.path(`${i}.$$`)}; sleep 3; exit ${i % 4}`, cwd: '/', retries: i % 2 })),
    );
    await waitFor('all 20 jobs to run', () => readdirSync(runs.dir).length === 20, { timeout: 30000 });
    const keepers = descendants(d.pid).filter(isSpawner);
    assert.ok(keepers.length > 0);
    await d.kill9();
    for (const k of keepers) process.kill(k, 'SIGKILL');
    const d2 = await d.restart();
    daemons.push(d2);
    const ended = await waitAllEnded(d2, jobs.map((j) => j.id));
    ended.forEach((j, i) => {
      if (i % 2 === 0) {
        assert.equal(j.state, 'lost', `job ${i}: ${JSON.stringify(j)}`);
        assert.match(j.reason!, /keeper (died|was killed)/);
        assert.equal(runsOf(runs.dir, i), 1);
      } else {
        // Lost once, then run again to its real end.
        assert.deepEqual([j.attempt, j.exit_code], [2, i % 4], `job ${i}: ${JSON.stringify(j)}`);
        assert.equal(runsOf(runs.dir, i), 2);
      }
    });
  });
});
