// Must show 5: after kill -9 of the daemon, pending jobs are all there in order, a running
// job is re-queued at the head (retries left) or lost, never stuck in `running`, and its
// processes do not survive the restart. Plus the graceful drain on shutdown.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { pidsWithEnv } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';
import { allJobs, submit, waitState } from '../../helpers/jobs.js';

describe('broker crash recovery and drain', () => {
  const daemons: TestDaemon[] = [];
  after(async () => {
    for (const d of daemons) {
      await d.stop();
      d.cleanup();
    }
  });

  it('kill -9 with pending and running jobs: order kept, running ones re-queued or lost, their processes gone', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 2 } } });
    daemons.push(d);
    // Runs longer than the test; its grandchild is in its group, as a job's helpers are.
    const long = 'sleep 60 & exec sleep 60';
    const [keep] = await submit(d, { command: long, cwd: '/', retries: 1 });
    const [lose] = await submit(d, { command: long, cwd: '/' });
    await waitState(d, keep!.id, 'running');
    await waitState(d, lose!.id, 'running');
    const pending = await submit(d, [
      { command: 'true', cwd: '/' },
      { command: 'true', cwd: '/', queue: 'urgent' },
      { command: 'true', cwd: '/' },
      { command: 'true', cwd: '/', queue: 'urgent' },
    ]);
    // Paused, so nothing starts after the restart and the queue can be read as it was.
    await d.api('PUT', '/broker/concurrency/0');
    await d.api('POST', '/broker/urgent-concurrent/enable');
    const before = (await allJobs(d, 'pending')).map((j) => j.id);
    assert.deepEqual(before, [pending[1]!.id, pending[3]!.id, pending[0]!.id, pending[2]!.id]);
    // `running` is written at the claim, a moment before the spawner has the processes up.
    await waitFor('the job and its grandchild to run', () => pidsWithEnv('BL_JOB_ID', keep!.id).length === 2 && pidsWithEnv('BL_JOB_ID', lose!.id).length === 2);
    await d.kill9();
    assert.equal(pidsWithEnv('BL_JOB_ID', keep!.id).length, 2, 'jobs outlive a kill -9 of the daemon (own groups)');

    const d2 = await d.restart();
    daemons.push(d2);
    const b = await d2.api('GET', '/broker');
    assert.equal(b.concurrency, 0, 'the limit survived the restart');
    assert.equal(b.urgent_bypass, true, 'so did the urgent bypass');
    assert.equal(b.running, 0, 'nothing stuck in running');
    const k = await d2.api('GET', `/jobs/${keep!.id}`);
    assert.equal(k.state, 'pending');
    assert.equal(k.attempt, 2);
    const l = await d2.api('GET', `/jobs/${lose!.id}`);
    assert.equal(l.state, 'lost');
    assert.match(l.reason, /daemon stopped/);
    // The re-queued normal job goes first in the normal queue; urgent jobs still lead.
    assert.deepEqual((await allJobs(d2, 'pending')).map((j) => j.id), [pending[1]!.id, pending[3]!.id, keep!.id, pending[0]!.id, pending[2]!.id]);
    await waitFor('the left-over job processes to be killed', () => pidsWithEnv('BL_JOB_ID', keep!.id).length === 0 && pidsWithEnv('BL_JOB_ID', lose!.id).length === 0);

    await d2.api('PUT', '/broker/concurrency/2');
    await waitFor('the quick jobs to run', async () => (await d2.api('GET', '/broker')).counts.succeeded === 4);
    await d2.api('DELETE', `/jobs/${keep!.id}`);
    await waitState(d2, keep!.id, 'cancelled');
  });

  it('a graceful stop lets short jobs finish, puts long ones back at the head, and leaves no process', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 2 }, force_timeout: 1500 } });
    daemons.push(d);
    const [short] = await submit(d, { command: 'sleep 0.5; echo done', cwd: '/' });
    const [long] = await submit(d, { command: 'exec sleep 60', cwd: '/' });
    const [next] = await submit(d, { command: 'true', cwd: '/' });
    await waitState(d, short!.id, 'running');
    await waitState(d, long!.id, 'running');
    const exit = await d.stop();
    assert.equal(exit.code, 0);
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', long!.id), [], 'no job process outlives the daemon');
    const d2 = await d.restart({ config: { broker: { concurrency: 0 }, force_timeout: 1500 } });
    daemons.push(d2);
    assert.equal((await d2.api('GET', `/jobs/${short!.id}`)).state, 'succeeded');
    const l = await d2.api('GET', `/jobs/${long!.id}`);
    assert.equal(l.state, 'pending');
    assert.equal(l.attempt, 1, 'a drain does not spend an attempt');
    assert.deepEqual((await allJobs(d2, 'pending')).map((j) => j.id), [long!.id, next!.id]);
  });
});
