// A job past its walltime is `timed_out` and its whole tree (grandchild and a process that left
// the group included) is gone; the idle-CPU rule; exit codes and signals recorded; the log holds
// the output (tail, follow); retries; a job whose spawn helper dies has its tree stopped and runs
// again, a bounded number of times.
// Real job processes, forked by the spawn helpers of a daemon started in this process.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { isSpawner, pidsWithEnv, ppidOf } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { job, Marks, submit, waitJob, waitState } from '../helpers/jobs.js';

/** The daemon's SIGTERM → SIGKILL grace for a job it kills (broker.ts). */
const KILL_GRACE_MS = 3000;

describe('job processes', () => {
  let d: InProcessDaemon;
  let marks: Marks;
  before(async () => {
    d = await startInProcess({ config: { broker: { concurrency: 4 } } });
    marks = new Marks(path.join(d.dir, 'marks'));
  });
  after(() => d.cleanup());

  it('kills the whole tree of a job past its walltime: timed_out', async () => {
    // A grandchild in the group, one in a session of its own, and a leader that ignores TERM:
    // five processes, the last mark made once all are started and TERM is ignored.
    const cmd = `sh -c 'sleep 60 & exec sleep 61' & setsid sleep 62 & trap '' TERM; echo started; ${marks.made('tree-up')}; sleep 63; wait`;
    const [j] = await submit(d, { command: cmd, cwd: '/', timeout: 1 });
    await marks.waitMade('tree-up');
    await waitFor('the tree of five to be up', () => pidsWithEnv('BL_JOB_ID', j!.id).length === 5);
    const done = await waitState(d, j!.id, 'timed_out', 20000);
    assert.match(done.reason!, /walltime of 1 s/);
    assert.equal(done.exit_code, null);
    assert.equal(done.signal, 'SIGKILL', 'the leader ignored SIGTERM, so the grace ran out');
    const ran = Date.parse(done.finished_at!) - Date.parse(done.started_at!);
    assert.ok(ran >= 1000 + KILL_GRACE_MS, `ended ${ran} ms after its start: not before the walltime and the grace`);
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', j!.id), [], 'nothing of the tree is left');
    assert.equal((await d.request('GET', `/jobs/${j!.id}/log`)).text, 'started\n');
  });

  it('declares a job that does nothing for idle_cpu.seconds dead, and kills it', async () => {
    const [j] = await submit(d, { command: 'exec sleep 60', cwd: '/', idle_cpu: { percent: 5, seconds: 1 } });
    const done = await waitState(d, j!.id, 'dead', 15000);
    assert.match(done.reason!, /under 5% CPU for 1 s/);
    assert.ok(done.usage && done.usage.rss_max > 0, `usage was sampled: ${JSON.stringify(done.usage)}`);
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', j!.id), []);
  });

  it('records exit codes and signals, and keeps stdout and stderr in the log', async () => {
    const [ok, three, killed, missing, notFound] = await submit(d, [
      { command: 'echo out; echo err >&2; echo more', cwd: '/' },
      { command: 'exit 3', cwd: '/' },
      { command: 'kill -KILL $$', cwd: '/' },
      { argv: ['/no/such/program'], cwd: '/' },
      // Plain enough to skip the shell, so the shell's answer comes from the fallback.
      { command: 'no-such-program-bl arg', cwd: '/' },
    ]);
    const a = await waitState(d, ok!.id, 'succeeded');
    assert.equal(a.exit_code, 0);
    assert.equal(a.signal, null);
    const b = await waitState(d, three!.id, 'failed');
    assert.deepEqual([b.exit_code, b.signal], [3, null]);
    const c = await waitState(d, killed!.id, 'failed');
    assert.deepEqual([c.exit_code, c.signal], [null, 'SIGKILL']);
    const m = await waitState(d, missing!.id, 'failed');
    assert.match(m.reason!, /ENOENT/);
    const nf = await waitState(d, notFound!.id, 'failed');
    assert.equal(nf.exit_code, 127, 'the shell’s code for a command not found');
    assert.match((await d.request('GET', `/jobs/${notFound!.id}/log`)).text, /no-such-program-bl: not found/);
    assert.equal((await d.request('GET', `/jobs/${ok!.id}/log`)).text, 'out\nerr\nmore\n');
    assert.equal((await d.request('GET', `/jobs/${ok!.id}/log?tail=1`)).text, 'more\n');
    const text = (await d.request('GET', `/jobs/${three!.id}`)).text;
    assert.match(text, /^State:\tfailed$/m);
    assert.match(text, /^Exit code:\t3$/m);
  });

  it('follows a log: what the job writes after the request comes, and the answer ends with the job', async () => {
    const [j] = await submit(d, { command: `echo line1; ${marks.awaited('more-lines')}; echo line2; echo line3`, cwd: '/' });
    const res = await fetch(`${d.url}/jobs/${j!.id}/log?follow=1`, { signal: AbortSignal.timeout(20000) });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('\n')) {
      const r = await reader.read();
      if (r.done) break;
      text += r.value;
    }
    assert.equal(text, 'line1\n');
    assert.equal((await job(d, j!.id)).state, 'running', 'the job still runs: the rest is yet to be written');
    marks.make('more-lines');
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
    assert.equal(text, 'line1\nline2\nline3\n');
    assert.equal((await job(d, j!.id)).state, 'succeeded');
  });

  it('retries a failing job while retries remain, each attempt in the log', async () => {
    const [j] = await submit(d, { command: 'echo try $BL_JOB_ATTEMPT; exit 1', cwd: '/', retries: 2 });
    // Between attempts it is pending or running: only the last one's end is `failed`.
    const done = await waitState(d, j!.id, 'failed');
    assert.equal(done.attempt, 3);
    assert.equal((await d.request('GET', `/jobs/${j!.id}/log`)).text, 'try 1\n--- bl: attempt 2 ---\ntry 2\n--- bl: attempt 3 ---\ntry 3\n');
    const again = await d.api('POST', `/jobs/${j!.id}/retry`);
    assert.equal(again.attempt, 4);
    assert.equal((await waitState(d, j!.id, 'failed')).attempt, 4);
  });

  it('stops the tree of a job whose spawner process dies under it and runs it again as its next attempt; another spawner starts it', async () => {
    // Attempt 1 runs until it is killed; attempt 2 says so and ends.
    const requeues: Record<string, unknown>[] = [];
    const unsubscribe = d.services.events.subscribe((e) => e.topic === 'job.requeued' && requeues.push(e.data));
    after(unsubscribe);
    const [j] = await submit(d, { command: 'if [ "$BL_JOB_ATTEMPT" = 1 ]; then sleep 60 & exec sleep 61; fi; echo "attempt $BL_JOB_ATTEMPT"', cwd: '/' });
    await waitState(d, j!.id, 'running');
    await waitFor('the job processes', () => pidsWithEnv('BL_JOB_RUN', `${j!.id}:1@local`).length === 2);
    // The spawner that forked this job (there may be more than one): the job leader's parent.
    const leader = (await waitJob(d, j!.id, 'its pid', (x) => x.pid !== null)).pid!;
    const spawner = ppidOf(leader)!;
    assert.ok(ppidOf(spawner) === process.pid && isSpawner(spawner), 'the daemon forks jobs from a spawner process of its own');
    process.kill(spawner, 'SIGKILL');
    const again = await waitState(d, j!.id, 'succeeded');
    assert.equal(again.attempt, 2);
    assert.deepEqual(pidsWithEnv('BL_JOB_RUN', `${j!.id}:1@local`), [], 'nothing of attempt 1 is left');
    assert.equal((await d.request('GET', `/jobs/${j!.id}/log`)).text, '--- bl: attempt 2 ---\nattempt 2\n');
    const requeue = requeues.find((e) => e.id === j!.id);
    assert.equal(requeue?.attempt, 2);
    assert.match(String(requeue?.reason), /^attempt 1: its spawn helper died \(the python3 spawn helper process exited \(SIGKILL\)\); the job was stopped to run again$/);
    const [next] = await submit(d, { command: `${marks.made('next-runs')}; ${marks.awaited('next-go')}; echo again`, cwd: '/' });
    await marks.waitMade('next-runs');
    const leader2 = (await waitJob(d, next!.id, 'its pid', (x) => x.pid !== null)).pid!;
    const spawner2 = ppidOf(leader2)!;
    assert.ok(spawner2 !== spawner && ppidOf(spawner2) === process.pid && isSpawner(spawner2), 'a live spawner of the daemon forked the next job');
    marks.make('next-go');
    await waitState(d, next!.id, 'succeeded');
    assert.equal((await d.request('GET', `/jobs/${next!.id}/log`)).text, 'again\n');
  });
});
