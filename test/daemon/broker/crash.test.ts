// After kill -9 of the daemon, pending jobs are all there in order, and a running job whose
// keeper and leader are gone too (as after a reboot; survive-restart.test.ts has the jobs that
// live on) is re-queued at the head (retries left) or lost, never stuck in `running`, and what
// is left of its processes does not survive the restart: that needs a daemon process. A graceful stop lets the jobs that end within
// force_timeout finish and puts the rest back at the head: that runs in this process (the exit
// code of a daemon process after a graceful stop is signals.test.ts's to check).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { alive, descendants, isSpawner, pidsWithEnv, ppidOf } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';
import { allJobs, Marks, submit, waitState } from '../../helpers/jobs.js';

describe('broker crash recovery and drain', () => {
  const processes: TestDaemon[] = [];
  const inProcess: InProcessDaemon[] = [];
  after(async () => {
    for (const d of processes) {
      await d.stop();
      d.cleanup();
    }
    // The newest first: they share a temp dir, which the first one's cleanup removes.
    for (const d of inProcess.reverse()) await d.cleanup();
  });

  it('kill -9 with pending jobs, and running ones whose keepers and leaders die too: order kept, those re-queued or lost, their leftovers gone', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 2 } } });
    processes.push(d);
    // Runs longer than the test; its grandchild is in its group, as a job's helpers are.
    const long = 'sleep 60 & exec sleep 60';
    // Says its attempt number, as the re-run after the restart must.
    const [keep] = await submit(d, { command: `echo "run $BL_JOB_ATTEMPT"; ${long}`, cwd: '/', retries: 1 });
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
    const leaders = [(await d.api('GET', `/jobs/${keep!.id}`)).pid as number, (await d.api('GET', `/jobs/${lose!.id}`)).pid as number];
    const keepers = descendants(d.pid).filter(isSpawner);
    await d.kill9();
    assert.equal(pidsWithEnv('BL_JOB_ID', keep!.id).length, 2, 'jobs outlive a kill -9 of the daemon (own groups)');
    for (const p of [...keepers, ...leaders]) process.kill(p, 'SIGKILL');
    await waitFor('the leaders to be gone, their children left', () => leaders.every((p) => !alive(p)));

    const d2 = await d.restart();
    processes.push(d2);
    const b = await d2.api('GET', '/broker');
    assert.equal(b.concurrency, 0, 'the limit survived the restart');
    assert.equal(b.urgent_bypass, true, 'so did the urgent bypass');
    assert.equal(b.running, 0, 'nothing stuck in running');
    const k = await d2.api('GET', `/jobs/${keep!.id}`);
    assert.equal(k.state, 'pending');
    assert.equal(k.attempt, 2);
    assert.equal(k.reason, 'attempt 1: the daemon stopped while the job ran and no keeper recorded its end (the host restarted, or its keeper was killed); re-queued as attempt 2');
    const l = await d2.api('GET', `/jobs/${lose!.id}`);
    assert.equal(l.state, 'lost');
    assert.equal(l.reason, 'attempt 1: the daemon stopped while the job ran and no keeper recorded its end (the host restarted, or its keeper was killed); no retries left');
    // The re-queued normal job goes first in the normal queue; urgent jobs still lead.
    assert.deepEqual((await allJobs(d2, 'pending')).map((j) => j.id), [pending[1]!.id, pending[3]!.id, keep!.id, pending[0]!.id, pending[2]!.id]);
    await waitFor('the left-over job processes to be killed', () => pidsWithEnv('BL_JOB_ID', keep!.id).length === 0 && pidsWithEnv('BL_JOB_ID', lose!.id).length === 0);

    await d2.api('PUT', '/broker/concurrency/2');
    await waitFor('the quick jobs to run', async () => (await d2.api('GET', '/broker')).counts.succeeded === 4);
    // The re-run is attempt 2 wherever it says so: the job, its environment, its log.
    await waitState(d2, keep!.id, 'running');
    assert.equal((await d2.api('GET', `/jobs/${keep!.id}`)).attempt, 2);
    await waitFor('the re-run to say its attempt', async () => /^--- bl: attempt 2 ---\nrun 2$/m.test((await d2.request('GET', `/jobs/${keep!.id}/log`)).text));
    assert.match((await d2.request('GET', `/jobs/${keep!.id}`)).text, /^Attempt:\t2 of 2$/m);
    await d2.api('DELETE', `/jobs/${keep!.id}`);
    await waitState(d2, keep!.id, 'cancelled');
  });

  it('a graceful stop lets a job that ends within force_timeout finish, puts the others back at the head, and leaves no process', async () => {
    // Room enough for the short job to end once it is let go: what decides the long job's fate
    // is that it would run past the deadline, not how busy the machine is.
    const FORCE_MS = 5000;
    const d = await startInProcess({ config: { broker: { concurrency: 2 }, force_timeout: FORCE_MS } });
    inProcess.push(d);
    const marks = new Marks(path.join(d.dir, 'marks'));
    // The short job may end only once the shutdown has begun: the drain has to wait for it.
    const [short] = await submit(d, { command: `${marks.made('short-runs')}; ${marks.awaited('stopping')}; echo done`, cwd: '/' });
    const [long] = await submit(d, { command: `${marks.made('long-runs')}; exec sleep 60`, cwd: '/' });
    const [next] = await submit(d, { command: 'true', cwd: '/' });
    // `running` is written at the claim; the marks say the processes really run.
    await marks.waitMade('short-runs');
    await marks.waitMade('long-runs');
    const events = d.services.events;
    events.subscribe((e) => e.topic === 'daemon.stopping' && marks.make('stopping'));
    await d.stop();

    const log = events.since(0);
    const stopping = log.find((e) => e.topic === 'daemon.stopping')!;
    const shortEnd = log.find((e) => e.topic === 'job.finished' && e.data.id === short!.id);
    const longBack = log.find((e) => e.topic === 'job.requeued' && e.data.id === long!.id);
    assert.deepEqual(shortEnd?.data.state, 'succeeded', 'the short job ended during the drain');
    assert.ok(shortEnd!.id > stopping.id && longBack!.id > shortEnd!.id, 'stop began, the short job ended, then the long one was put back');
    assert.ok(longBack!.time - stopping.time >= FORCE_MS, `the long job was killed only after force_timeout (${longBack!.time - stopping.time} ms)`);
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', long!.id), [], 'no job process outlives the daemon');
    await waitFor('the spawn helpers to exit with the daemon', () => descendants(process.pid).every((p) => !(isSpawner(p) && ppidOf(p) === process.pid)));

    const d2 = await d.restart({ config: { broker: { concurrency: 0 }, force_timeout: FORCE_MS } });
    inProcess.push(d2);
    const s = await d2.api('GET', `/jobs/${short!.id}`);
    assert.deepEqual([s.state, s.exit_code], ['succeeded', 0]);
    assert.equal((await d2.request('GET', `/jobs/${short!.id}/log`)).text, 'done\n');
    const l = await d2.api('GET', `/jobs/${long!.id}`);
    assert.equal(l.state, 'pending');
    assert.equal(l.attempt, 1, 'a drain does not spend an attempt');
    assert.match(l.reason, new RegExp(`the daemon shut down after waiting ${FORCE_MS} ms`));
    assert.deepEqual((await allJobs(d2, 'pending')).map((j) => j.id), [long!.id, next!.id]);
  });
});
