// bl-launcher in an allocation that ends, without Slurm (--end-at, SLURM_JOB_ID and
// SLURM_JOB_END_TIME set by the test): it takes only jobs whose timeout fits the time it has
// left, leases nothing once its stop (end − margin) has come, evicts a job still running then
// (re-queued at once as the next attempt, run elsewhere exactly once), takes SIGTERM and SIGUSR2
// as the end, tells a job's own SIGTERM from the allocation's, and exits when idle (--idle-exit).
// The daemon runs in this process; the launchers are real processes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { pidsWithEnv } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { job, Marks, submit, waitJob, waitLaunchers } from '../helpers/jobs.js';
import { exitOf, startLauncher, type LauncherStart, type TestLauncher } from './launcher-helpers.js';

const daemons: InProcessDaemon[] = [];
const launchers: TestLauncher[] = [];
after(async () => {
  for (const l of launchers) l.cleanup();
  for (const d of daemons) await d.cleanup();
});

// A long lease: a job re-queued within a test was re-queued by its launcher's report, not by an
// expired lease.
const BROKER = { concurrency: 4, local_slots: 0, lease_ttl: 120 };

async function daemon(): Promise<{ d: InProcessDaemon; marks: Marks }> {
  const d = await startInProcess({ config: { broker: BROKER } });
  daemons.push(d);
  return { d, marks: new Marks(path.join(d.dir, 'marks')) };
}

function launcher(d: InProcessDaemon, name: string, o: Partial<LauncherStart> = {}): TestLauncher {
  const l = startLauncher({ url: d.url, name, stateDir: path.join(d.dir, `l-${name}`), ...o });
  launchers.push(l);
  return l;
}

const epochS = (msFromNow: number) => String(Math.floor((Date.now() + msFromNow) / 1000));

/**
 * A job that counts its runs: it writes `start N` to `side` (N its attempt), makes the mark
 * `name-N`, waits for `name-N-go`, then writes `end N`.
 */
function counted(marks: Marks, side: string, name: string): string {
  return `echo "start $BL_JOB_ATTEMPT" >> ${side}; ${marks.made(`${name}-$BL_JOB_ATTEMPT`)}; ${marks.awaited(`${name}-$BL_JOB_ATTEMPT-go`)}; echo "end $BL_JOB_ATTEMPT" >> ${side}`;
}

/** The job.requeued events of a job, as the daemon published them. */
const requeues = (d: InProcessDaemon, id: string) => d.services.events.since(0).filter((e) => e.topic === 'job.requeued' && e.data.id === id).map((e) => e.data);

/** The evicted attempt 1 runs again on a launcher with no end, to its end there, once. */
async function finishesElsewhere(d: InProcessDaemon, marks: Marks, id: string, side: string, name: string): Promise<void> {
  launcher(d, `${name}-other`);
  await marks.waitMade(`${name}-2`);
  marks.make(`${name}-2-go`);
  const end = await waitJob(d, id, 'to succeed', (x) => x.state === 'succeeded');
  assert.deepEqual([end.attempt, end.launcher], [2, `${name}-other`]);
  assert.equal(readFileSync(side, 'utf8'), 'start 1\nstart 2\nend 2\n', 'attempt 1 was stopped before its end; attempt 2 ran once, to its end');
}

describe('bl-launcher in an allocation that ends', () => {
  it('takes only the jobs whose timeout fits the time it has left, first come first; one with no timeout too; another launcher takes the rest', async () => {
    const { d, marks } = await daemon();
    const held = (n: string) => `${marks.made(n)}; ${marks.awaited(`${n}-go`)}`;
    const [long, fit, none, alsoFits] = await submit(d, [
      { command: held('long'), cwd: d.dir, timeout: 3600 },
      { command: held('fit'), cwd: d.dir, timeout: 300 },
      { command: held('none'), cwd: d.dir },
      { command: held('also'), cwd: d.dir, timeout: 60 },
    ]);
    // 20 minutes to its end, a minute of margin: about 1140 s to run jobs in.
    const p = launcher(d, 'P', { slots: 2, extra: ['--end-at', epochS(20 * 60_000), '--end-margin', '60'] });
    await marks.waitMade('fit');
    await marks.waitMade('none');
    assert.deepEqual((await job(d, fit!.id)).launcher, 'P');
    assert.deepEqual((await job(d, none!.id)).launcher, 'P', 'a job of unknown length goes to a launcher that still leases');
    assert.equal((await job(d, long!.id)).state, 'pending', 'an hour does not fit in what is left');
    assert.equal((await job(d, alsoFits!.id)).state, 'pending', 'P’s two slots are full');
    assert.match(p.err, /the allocation of launcher P ends at \S+ \(--end-at\); leasing stops and running jobs are evicted 60 s before/);

    launcher(d, 'Q');
    await marks.waitMade('long');
    assert.equal((await job(d, long!.id)).launcher, 'Q', 'a launcher with no end takes it');
    marks.make('fit-go');
    await marks.waitMade('also');
    assert.equal((await job(d, alsoFits!.id)).launcher, 'P', 'P’s freed slot: the next job that fits');
    for (const n of ['none', 'also', 'long']) marks.make(`${n}-go`);
    for (const j of [long, fit, none, alsoFits]) await waitJob(d, j!.id, 'to succeed', (x) => x.state === 'succeeded');

    const bad = await d.request('POST', '/launchers/X/lease', { slots: 1, wait: 0, max_timeout_s: -1 }, { Accept: 'application/json' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /expected `max_timeout_s` \(the seconds the launcher has left to run jobs\) to be a number ≥ 0, found -1/);
  });

  it('leases nothing once its stop has come: it says so and exits 0, the job waits for another launcher', async () => {
    const { d } = await daemon();
    const [j] = await submit(d, { command: 'true', cwd: d.dir });
    // The end is 30 s away, the margin a minute: the stop is already past.
    const p = launcher(d, 'late', { extra: ['--end-at', epochS(30_000), '--end-margin', '60'] });
    assert.deepEqual(await exitOf(p), { code: 0, signal: null });
    assert.match(p.err, /the allocation of launcher late ended \(--end-margin: its end at \S+ is 60 s away\): taking no more jobs; evicting 0 running job/);
    const still = await job(d, j!.id);
    assert.deepEqual([still.state, still.launcher, still.attempt], ['pending', null, 1]);
  });

  it('at end − margin a running job is stopped and re-queued at once as attempt 2 with the reason, past its retries; it finishes elsewhere exactly once', async () => {
    const { d, marks } = await daemon();
    const side = path.join(d.dir, 'side.txt');
    const [j] = await submit(d, { command: counted(marks, side, 'margin'), cwd: d.dir, retries: 0 });
    // Its stop comes about 8 s after its start (time to start and lease on a busy machine); the
    // job, held, still runs then.
    const p = launcher(d, 'P', { extra: ['--end-at', epochS(10_000), '--end-margin', '2'] });
    await marks.waitMade('margin-1');
    const back = await waitJob(d, j!.id, 'to be re-queued', (x) => x.state === 'pending');
    assert.equal(back.attempt, 2);
    assert.match(back.reason ?? '', /^attempt 1: the allocation of launcher P ended \(--end-margin: its end at \S+ is 2 s away\)$/);
    assert.deepEqual(requeues(d, j!.id).map((r) => r.launcher), ['P'], 'one re-queue, by the report (the lease has two minutes to go)');
    assert.deepEqual(await exitOf(p), { code: 0, signal: null });
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', j!.id), [], 'attempt 1 is gone');
    assert.match(p.err, /evicting 1 running job/);
    assert.deepEqual(readdirSync(path.join(d.dir, 'l-P', 'outbox')), [], 'its report was answered before it exited');
    await waitFor('P to leave the launcher list', async () => !((await d.api('GET', '/launchers')).launchers as { name: string }[]).some((l) => l.name === 'P'));
    await finishesElsewhere(d, marks, j!.id, side, 'margin');
  });

  it('SIGTERM with SLURM_JOB_ID set evicts at once (no end known: scontrol could not say)', async () => {
    const { d, marks } = await daemon();
    const side = path.join(d.dir, 'side.txt');
    const [j] = await submit(d, { command: counted(marks, side, 'term'), cwd: d.dir });
    // No SLURM_CONF: this host's scontrol fails at once; the launcher runs on with no end known.
    const p = launcher(d, 'P', { env: { SLURM_JOB_ID: '4242' } });
    await marks.waitMade('term-1');
    assert.match(p.err, /cannot learn when Slurm job 4242 ends \(scontrol show job 4242 failed: .*\); leasing with no end known/);
    p.proc.kill('SIGTERM');
    const back = await waitJob(d, j!.id, 'to be re-queued', (x) => x.state === 'pending');
    assert.deepEqual([back.attempt, back.reason], [2, 'attempt 1: the Slurm allocation of launcher P ended (SIGTERM)']);
    assert.deepEqual(await exitOf(p), { code: 0, signal: null });
    await finishesElsewhere(d, marks, j!.id, side, 'term');
  });

  it('SIGUSR2 (Slurm’s warning) evicts as the margin does; a second signal does not wait out the grace', async () => {
    const { d, marks } = await daemon();
    const side = path.join(d.dir, 'side.txt');
    // A job that ignores SIGTERM: only the SIGKILL after the grace (60 s here) ends it.
    const [j] = await submit(d, { command: `trap '' TERM; ${counted(marks, side, 'usr2')}`, cwd: d.dir });
    const p = launcher(d, 'P', { env: { SLURM_JOB_ID: '77', SLURM_JOB_END_TIME: epochS(3_600_000) }, extra: ['--kill-grace', '60000'] });
    await marks.waitMade('usr2-1');
    assert.match(p.err, /the Slurm allocation of launcher P ends at \S+ \(SLURM_JOB_END_TIME\)/);
    p.proc.kill('SIGUSR2');
    await waitFor('the eviction to begin', () => /evicting 1 running job/.test(p.err));
    p.proc.kill('SIGTERM');
    const back = await waitJob(d, j!.id, 'to be re-queued', (x) => x.state === 'pending');
    assert.deepEqual([back.attempt, back.reason], [2, 'attempt 1: the Slurm allocation of launcher P ended (SIGUSR2: its end is near)']);
    assert.match(p.err, /SIGTERM again: killing 1 running job\(s\) now/);
    assert.deepEqual(await exitOf(p), { code: 0, signal: null });
    await finishesElsewhere(d, marks, j!.id, side, 'usr2');
  });

  it('a job that dies of its own SIGTERM keeps its end; one that dies of the SIGTERM that also ends the allocation is evicted', async () => {
    const { d } = await daemon();
    const p = launcher(d, 'P', { slots: 2, env: { SLURM_JOB_ID: '9', SLURM_JOB_END_TIME: epochS(3_600_000) } });
    await waitLaunchers(d, ['P']);
    const [own, slurms] = await submit(d, [
      { command: 'exec sleep 300', cwd: d.dir, retries: 0 },
      { command: 'exec sleep 301', cwd: d.dir, retries: 0 },
    ]);
    const pidOf = (id: string) => waitFor(`job ${id}'s process`, () => pidsWithEnv('BL_JOB_ID', id)[0]);
    const [a, b] = [await pidOf(own!.id), await pidOf(slurms!.id)];
    // The job's own: nothing else is signalled.
    process.kill(a, 'SIGTERM');
    const ended = await waitJob(d, own!.id, 'to end', (x) => x.state !== 'running');
    assert.deepEqual([ended.state, ended.signal, ended.attempt], ['failed', 'SIGTERM', 1]);
    // What scancel does: every process of the allocation gets SIGTERM, the job first here.
    process.kill(b, 'SIGTERM');
    p.proc.kill('SIGTERM');
    const back = await waitJob(d, slurms!.id, 'to be re-queued', (x) => x.state !== 'running');
    assert.deepEqual([back.state, back.attempt, back.reason], ['pending', 2, 'attempt 1: the Slurm allocation of launcher P ended (SIGTERM)']);
    assert.deepEqual(await exitOf(p), { code: 0, signal: null });
  });

  it('--idle-exit: exits 0 once nothing has run for that long, after its jobs; an idle one from the start', async () => {
    const { d, marks } = await daemon();
    const [j] = await submit(d, { command: `${marks.made('idle-job')}; ${marks.awaited('idle-job-go')}`, cwd: d.dir });
    const busy = launcher(d, 'busy', { extra: ['--idle-exit', '1'] });
    await marks.waitMade('idle-job');
    assert.equal(busy.exitInfo, undefined, 'a running job is not idle');
    marks.make('idle-job-go');
    assert.deepEqual(await exitOf(busy), { code: 0, signal: null });
    assert.match(busy.err, /nothing to run for 1 s; exiting \(--idle-exit\)/);
    const end = await job(d, j!.id);
    assert.deepEqual([end.state, end.launcher], ['succeeded', 'busy']);
    const idle = launcher(d, 'idle', { extra: ['--idle-exit', '0.5'] });
    assert.deepEqual(await exitOf(idle), { code: 0, signal: null });
    // Its goodbye took it off the list (it held nothing).
    await waitFor('the idle launchers to leave the list', async () => ((await d.api('GET', '/launchers')).launchers as { name: string }[]).every((l) => l.name === 'local'));
  });
});
