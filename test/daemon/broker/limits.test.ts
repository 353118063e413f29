// Never more than `concurrency` jobs run, urgent jobs start first (each queue in submit order),
// the urgent bypass runs an urgent job beside a full limit, and local_slots holds the built-in
// launcher below the concurrency. Jobs are held running by marks the test makes: each step
// lets one job go and checks which ones run then, in the store and as processes.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobJson } from '../../../contract/types.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { allJobs, jobsWithProcesses, Marks, submit, waitState } from '../../helpers/jobs.js';
import { waitFor } from '../../helpers/wait.js';

/** A job that makes the mark `name` when it starts and ends when the test makes `name-go`. */
const held = (marks: Marks, name: string) => `${marks.made(name)}; ${marks.awaited(`${name}-go`)}`;

/**
 * Until stopped, reads how many jobs run, in the store and as processes, and keeps the most
 * of each: checks between the steps, where a job ends and the next one starts.
 */
function watchMost(d: InProcessDaemon, ids: string[]): { stop: () => Promise<{ reported: number; processes: number }> } {
  let stopped = false;
  const most = { reported: 0, processes: 0 };
  const sampling = waitFor('the steps to end', async () => {
    most.reported = Math.max(most.reported, (await d.api('GET', '/broker')).running);
    most.processes = Math.max(most.processes, jobsWithProcesses(ids).size);
    return stopped;
  }, { timeout: 60000 });
  return {
    stop: async () => {
      stopped = true;
      await sampling;
      return most;
    },
  };
}

/** Steps through `order`: `slots` jobs run at a time; lets the first go, waits for its successor. */
async function stepThrough(d: InProcessDaemon, marks: Marks, order: { name: string; job: JobJson }[], slots: number): Promise<void> {
  const all = order.map((o) => o.job.id);
  for (let k = 0; k < order.length; k++) {
    const window = order.slice(k, k + slots);
    const ids = window.map((o) => o.job.id);
    for (const o of window) await marks.waitMade(o.name);
    const running = (await allJobs(d, 'running')).map((j) => j.id);
    assert.deepEqual(running.sort(), [...ids].sort(), `step ${k}: running ${window.map((o) => o.name).join(', ')}`);
    assert.deepEqual([...jobsWithProcesses(all)].sort(), [...ids].sort(), `step ${k}: only their processes`);
    const pending = (await allJobs(d, 'pending')).map((j) => j.id);
    assert.deepEqual(pending, order.slice(k + slots).map((o) => o.job.id), `step ${k}: the rest wait, in order`);
    marks.make(`${order[k]!.name}-go`);
    await waitState(d, order[k]!.job.id, 'succeeded');
  }
}

describe('broker limits', () => {
  let d: InProcessDaemon;
  let marks: Marks;
  before(async () => {
    d = await startInProcess({ config: { broker: { concurrency: 2 } } });
    marks = new Marks(path.join(d.dir, 'marks'));
  });
  after(() => d.cleanup());

  it('runs at most N at once and starts urgent jobs first, each queue in submit order', async () => {
    await d.api('PUT', '/broker/concurrency/0');
    const job = (name: string, queue: string) => ({ command: held(marks, name), cwd: d.dir, queue });
    const normal = await submit(d, ['n1', 'n2', 'n3', 'n4'].map((n) => job(n, 'normal')));
    const urgent = await submit(d, ['u1', 'u2', 'u3'].map((n) => job(n, 'urgent')));
    assert.equal((await d.api('GET', '/broker')).pending, 7);
    const order = [...['u1', 'u2', 'u3'].map((name, i) => ({ name, job: urgent[i]! })), ...['n1', 'n2', 'n3', 'n4'].map((name, i) => ({ name, job: normal[i]! }))];
    const watch = watchMost(d, order.map((o) => o.job.id));
    await d.api('PUT', '/broker/concurrency/2');
    try {
      await stepThrough(d, marks, order, 2);
    } finally {
      const most = await watch.stop();
      assert.deepEqual(most, { reported: 2, processes: 2 }, 'never more than 2 at once');
    }
    for (const o of order) assert.equal((await d.api('GET', `/jobs/${o.job.id}`)).attempt, 1, `${o.name} ran once`);
  });

  it('with urgent bypass starts an urgent job beside a full limit, and not a normal one', async () => {
    await d.api('PUT', '/broker/concurrency/1');
    const [long] = await submit(d, { command: 'exec sleep 30', cwd: d.dir });
    await waitState(d, long!.id, 'running');
    const [waiting] = await submit(d, { command: 'true', cwd: d.dir });
    const [u1] = await submit(d, { command: 'echo early', cwd: d.dir, queue: 'urgent' });
    await d.api('POST', '/broker/urgent-concurrent/enable');
    assert.equal((await d.api('GET', '/broker')).urgent_bypass, true);
    const done = await waitState(d, u1!.id, 'succeeded');
    assert.ok(done.started_at, 'the urgent job ran');
    assert.equal((await d.api('GET', `/jobs/${long!.id}`)).state, 'running', 'beside the job that fills the limit');
    assert.equal((await d.api('GET', `/jobs/${waiting!.id}`)).state, 'pending', 'a normal job still waits');
    await d.api('POST', '/broker/urgent-concurrent/disable');
    const [u2] = await submit(d, { command: 'true', cwd: d.dir, queue: 'urgent' });
    // Without the bypass the urgent job waits, but ahead of the normal one.
    const pending = await d.api('GET', '/jobs?state=pending');
    assert.deepEqual(pending.jobs.map((j: { id: string }) => j.id), [u2!.id, waiting!.id]);
    const cancel = await d.request('DELETE', `/jobs/${long!.id}`);
    assert.equal(cancel.status, 202);
    const killed = await waitState(d, long!.id, 'cancelled');
    assert.equal(killed.signal, 'SIGTERM');
    await waitState(d, waiting!.id, 'succeeded');
    await waitState(d, u2!.id, 'succeeded');
  });
});

describe('broker local_slots', () => {
  it('holds the built-in launcher to local_slots below the concurrency', async () => {
    const d = await startInProcess({ config: { broker: { concurrency: 4, local_slots: 1 } } });
    try {
      const marks = new Marks(path.join(d.dir, 'marks'));
      const order = ['a', 'b', 'c'].map((name) => ({ name, job: undefined as unknown as JobJson }));
      const jobs = await submit(d, order.map((o) => ({ command: held(marks, o.name), cwd: d.dir })));
      order.forEach((o, i) => (o.job = jobs[i]!));
      const st = await d.api('GET', '/broker');
      assert.deepEqual([st.concurrency, st.local_slots, st.launchers[0].slots], [4, 1, 1]);
      const watch = watchMost(d, jobs.map((j) => j.id));
      try {
        await stepThrough(d, marks, order, 1);
      } finally {
        const most = await watch.stop();
        assert.deepEqual(most, { reported: 1, processes: 1 }, 'one at a time, though the concurrency is 4');
      }
      await waitFor('the last job to end', async () => (await d.api('GET', '/broker')).counts.succeeded === 3);
    } finally {
      await d.cleanup();
    }
  });
});
