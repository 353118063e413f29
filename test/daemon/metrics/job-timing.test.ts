// Dispatch latency and run time from the broker's events (daemon/metrics/job-timing.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobTiming } from '../../../daemon/metrics/job-timing.js';

function setup(queuedAt: (id: string) => number | undefined = () => undefined) {
  const dispatched: number[] = [];
  const finished: [string, number | undefined][] = [];
  const t = new JobTiming({ dispatched: (s) => dispatched.push(s), finished: (st, s) => finished.push([st, s]) }, queuedAt);
  let id = 0;
  const ev = (topic: string, time: number, data: Record<string, unknown>) => t.onEvent({ id: ++id, topic, time, data });
  return { t, ev, dispatched, finished };
}

test('latency runs from submit to start, run time from start to end', () => {
  const { t, ev, dispatched, finished } = setup();
  ev('job.submitted', 1000, { id: 'A', queue: 'normal' });
  ev('job.started', 1500, { id: 'A', pid: 1 });
  ev('job.finished', 4000, { id: 'A', state: 'succeeded' });
  assert.deepEqual(dispatched, [0.5]);
  assert.deepEqual(finished, [['succeeded', 2.5]]);
  assert.deepEqual(t.tracked, { waiting: 0, running: 0 });
});

test('a re-queued job waits again from its re-queue; a cancelled pending job has no run time', () => {
  const { ev, dispatched, finished } = setup();
  ev('job.submitted', 0, { id: 'A' });
  ev('job.started', 100, { id: 'A' });
  ev('job.requeued', 1000, { id: 'A', attempt: 2 });
  ev('job.started', 1250, { id: 'A' });
  ev('job.submitted', 0, { id: 'B' });
  ev('job.finished', 50, { id: 'B', state: 'cancelled' });
  assert.deepEqual(dispatched, [0.1, 0.25]);
  assert.deepEqual(finished, [['cancelled', undefined]]);
});

test('a job queued before the daemon started is timed from the store; purges forget the waiting', () => {
  const { t, ev, dispatched } = setup((id) => (id === 'OLD' ? 500 : undefined));
  ev('job.started', 2500, { id: 'OLD' });
  ev('job.started', 2500, { id: 'UNKNOWN' });
  assert.deepEqual(dispatched, [2]);
  ev('job.submitted', 0, { id: 'P1' });
  ev('job.submitted', 0, { id: 'P2' });
  ev('broker.purged', 10, { what: 'completed', removed: 0 });
  assert.equal(t.tracked.waiting, 2);
  ev('broker.purged', 10, { what: 'pending', removed: 2 });
  assert.equal(t.tracked.waiting, 0);
});
