// Must show 6 and 7: a job past its walltime is `timed_out` and its whole tree (grandchild
// and a process that left the group included) is gone; the idle-CPU rule; exit codes and
// signals recorded; the log holds the output (tail, follow).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { descendants, isSpawner, pidsWithEnv, ppidOf } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { submit, waitJob, waitState } from '../helpers/jobs.js';

describe('job processes', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon({ config: { broker: { concurrency: 4 } } });
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  it('kills the whole tree of a job past its walltime: timed_out', async () => {
    // A grandchild in the group, one in a session of its own, and a leader that ignores TERM.
    const cmd = `sh -c 'sleep 60 & exec sleep 61' & setsid sleep 62 & trap '' TERM; echo started; sleep 63; wait`;
    const [j] = await submit(d, { command: cmd, cwd: '/', timeout: 1 });
    await waitFor('the tree to be up', () => pidsWithEnv('BL_JOB_ID', j!.id).length >= 5);
    const t = Date.now();
    const done = await waitState(d, j!.id, 'timed_out', 20000);
    assert.ok(Date.now() - t < 15000);
    assert.match(done.reason!, /walltime of 1 s/);
    assert.equal(done.exit_code, null);
    assert.equal(done.signal, 'SIGKILL', 'the leader ignored SIGTERM, so the grace ran out');
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

  it('follows a log until the job ends', async () => {
    const [j] = await submit(d, { command: 'for i in 1 2 3; do echo line$i; sleep 0.3; done', cwd: '/' });
    const r = await d.request('GET', `/jobs/${j!.id}/log?follow=1`);
    assert.equal(r.text, 'line1\nline2\nline3\n');
    assert.equal((await d.api('GET', `/jobs/${j!.id}`)).state, 'succeeded');
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

  it('calls a job lost, and stops its tree, when the spawner process dies under it; the next job gets a new spawner', async () => {
    const [j] = await submit(d, { command: 'sleep 60 & exec sleep 61', cwd: '/' });
    await waitState(d, j!.id, 'running');
    await waitFor('the job processes', () => pidsWithEnv('BL_JOB_ID', j!.id).length === 2);
    // The spawner that forked this job (there may be more than one): the job leader's parent.
    const leader = (await waitJob(d, j!.id, 'its pid', (x) => x.pid !== null)).pid!;
    const spawner = ppidOf(leader)!;
    assert.ok(descendants(d.pid).includes(spawner) && isSpawner(spawner), 'the daemon forks jobs from a spawner process');
    process.kill(spawner, 'SIGKILL');
    const lost = await waitState(d, j!.id, 'lost');
    assert.match(lost.reason!, /spawn helper process exited/);
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', j!.id), []);
    const [next] = await submit(d, { command: 'echo again', cwd: '/' });
    await waitState(d, next!.id, 'succeeded');
  });
});
