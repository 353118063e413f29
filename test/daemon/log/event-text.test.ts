// What the daemon's log says of each event: level and text, pure (no daemon, no clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventLevel, eventText, duration } from '../../../daemon/log/event-text.js';
import type { BlEvent } from '../../../daemon/events/bus.js';

const T0 = Date.parse('2026-12-02T16:00:24.718Z');
const ev = (topic: string, data: Record<string, unknown>, time = T0): BlEvent => ({ id: 1, topic, time, data });
const line = (e: BlEvent) => [eventLevel(e), eventText(e)];

test('a crash in backoff: warn, the task and pid, the code, the uptime and when the next start comes', () => {
  const e = ev('worker.exited', { task: 'NodeExample', pid: 21882, code: 1, signal: null, reason: 'crashed', uptime_ms: 120, next: 'backoff', delay_ms: 400, failures: 3 });
  assert.deepEqual(line(e), ['warn', 'NodeExample[21882] exited with code 1 after 120 ms; restarting in 400 ms (backoff: 3 quick deaths in a row)']);
  const first = ev('worker.exited', { task: 'T', pid: 5, code: 2, signal: null, reason: 'crashed', uptime_ms: 80, next: 'backoff', delay_ms: 100, failures: 1 });
  assert.equal(eventText(first), 'T[5] exited with code 2 after 80 ms; restarting in 100 ms (backoff: 1 quick death in a row)');
});

test('kill -9 of a worker that was up: warn, the signal, restarted at once', () => {
  const e = ev('worker.exited', { task: 'T', pid: 7, code: null, signal: 'SIGKILL', reason: 'crashed', uptime_ms: 192_000, next: 'restart', delay_ms: null, failures: 0 });
  assert.deepEqual(line(e), ['warn', 'T[7] killed by SIGKILL after 3 min; restarting now']);
});

test('flapping: the exit says the next try, the task.flapping event is an error line', () => {
  const e = ev('worker.exited', { task: 'T', pid: 9, code: 1, signal: null, reason: 'crashed', uptime_ms: 15, next: 'flapping', delay_ms: 60000, failures: 10 });
  assert.equal(eventText(e), 'T[9] exited with code 1 after 15 ms; flapping: next try in 60 s (10 quick deaths in a row)');
  const f = ev('task.flapping', { task: 'T', failures: 10, last: 'exited with code 1' });
  assert.deepEqual(line(f), ['error', 'T is flapping: 10 quick deaths in a row (last: exited with code 1); one try a minute until a worker stays up']);
});

test('an exit of a stopped task, and of a full pool, says no restart follows', () => {
  const stopped = ev('worker.exited', { task: 'T', pid: 3, code: 0, signal: null, reason: 'exited', uptime_ms: 5000, next: 'stopped', failures: 0 });
  assert.equal(eventText(stopped), 'T[3] exited with code 0 after 5 s; not restarted: the task is stopped');
  const full = ev('worker.exited', { task: 'T', pid: 3, code: 0, signal: null, reason: 'exited', uptime_ms: 5000, next: 'none', failures: 0 });
  assert.equal(eventText(full), 'T[3] exited with code 0 after 5 s; not replaced: the task has all its workers');
});

test('a worker stopped on purpose: info, and why', () => {
  for (const [reason, why] of [
    ['scale', 'scaled down'],
    ['stop', 'the task was stopped'],
    ['shutdown', 'daemon shutdown'],
    ['restart', 'rolling restart'],
    ['stalled', 'it stalled'],
  ]) {
    const e = ev('worker.exited', { task: 'T', pid: 4, code: null, signal: 'SIGTERM', reason, uptime_ms: 2500, next: 'restart', failures: 0 });
    assert.deepEqual(line(e), ['info', `T[4] killed by SIGTERM after 2.5 s; stopped on purpose (${why})`]);
  }
});

test('an adopted worker (not our child) has no exit status to say', () => {
  const e = ev('worker.exited', { task: 'T', pid: 4, code: null, signal: null, reason: 'crashed', uptime_ms: 900, next: 'restart', failures: 0 });
  assert.equal(eventText(e), 'T[4] exited, exit code unknown (adopted) after 900 ms; restarting now');
});

test('a stall: warn, how long since the last keep-alive, what is done', () => {
  const seen = ev('worker.stalled', { task: 'Staller', pid: 11, last_alive_at: T0 - 5200 });
  assert.deepEqual(line(seen), ['warn', 'Staller[11] stalled (last keep-alive 5.2 s ago); stopping it and starting a replacement']);
  const never = ev('worker.stalled', { task: 'Staller', pid: 12, last_alive_at: null });
  assert.equal(eventText(never), 'Staller[12] stalled (no keep-alive since it started); stopping it and starting a replacement');
});

test('a worker that outlived its grace period: warn, SIGKILL', () => {
  const e = ev('worker.killed', { task: 'Stubborn', pid: 13, reason: 'stop', after_ms: 1012 });
  assert.deepEqual(line(e), ['warn', 'Stubborn[13] did not exit on SIGTERM within its grace period (the task was stopped); killed with SIGKILL after 1 s']);
});

test('a spawn that failed: warn, why, when it is tried again', () => {
  const e = ev('worker.spawn_failed', { task: 'Missing', error: 'command not found: /x/run.sh', next: 'backoff', delay_ms: 200, failures: 2 });
  assert.deepEqual(line(e), ['warn', 'Missing: cannot start a worker: command not found: /x/run.sh; retrying in 200 ms (backoff: 2 failures in a row)']);
});

test('task, daemon and broker events are info lines', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['worker.started', { task: 'T', pid: 8 }, 'T[8] started'],
    ['task.started', { task: 'T' }, 'T started'],
    ['task.stopped', { task: 'T' }, 'T stopped'],
    ['task.scaled', { task: 'T', cardinality: 4 }, 'T cardinality set to 4'],
    ['task.recovered', { task: 'T' }, 'T recovered: a worker stayed up, restarts are no longer held back'],
    ['task.restarting', { task: 'T', workers: 3 }, 'T: rolling restart of 3 workers'],
    ['task.restarted', { task: 'T' }, 'T: rolling restart done'],
    ['daemon.stopping', { reason: 'SIGINT' }, 'shutting down (SIGINT): stopping workers and jobs'],
    ['daemon.stopping', { reason: 'POST /shutdown?keep_jobs=1', keep_jobs: true }, 'shutting down (POST /shutdown?keep_jobs=1): stopping workers; running jobs keep running under their keepers'],
    ['broker.concurrency', { concurrency: 0 }, 'broker concurrency set to 0 (dispatch paused)'],
    ['broker.urgent_bypass', { urgent_bypass: true }, 'broker: urgent jobs now start beside a full limit'],
    ['broker.purged', { what: 'completed', removed: 12 }, 'broker: 12 completed jobs purged'],
    ['job.requeued', { id: 'J1', attempt: 2, reason: 'attempt 1 ended: exit code 1' }, 'job J1 re-queued for attempt 2: attempt 1 ended: exit code 1'],
    ['job.reattached', { id: 'J1', pid: 40, keeper: 39 }, 'job J1 of the earlier daemon followed on (pid 40, its keeper pid 39)'],
    ['job.reattached', { id: 'J1', pid: 40, keeper: null }, 'job J1 of the earlier daemon followed on (pid 40, its keeper is gone, its exit code will be unknown)'],
    ['job.reattached', { id: 'J1', pid: null, keeper: null }, 'job J1 of the earlier daemon: no process left; waiting for its keeper to write its end'],
  ];
  for (const [topic, data, text] of cases) assert.deepEqual(line(ev(topic, data)), ['info', text], topic);
});

test("jobs: a success is debug (a batch must not flood the terminal), any other end a warn with its state and reason", () => {
  assert.deepEqual(line(ev('job.submitted', { id: 'J1', queue: 'normal' })), ['debug', 'job J1 submitted (normal queue)']);
  assert.deepEqual(line(ev('job.started', { id: 'J1', pid: 77, launcher: 'local' })), ['debug', 'job J1 started (pid 77)']);
  assert.deepEqual(line(ev('job.started', { id: 'J1', launcher: 'far', host: 'h2', attempt: 1 })), ['debug', 'job J1 started on launcher far (h2)']);
  assert.deepEqual(line(ev('job.finished', { id: 'J1', state: 'succeeded', exit_code: 0, signal: null, reason: null })), ['debug', 'job J1 succeeded']);
  assert.deepEqual(line(ev('job.finished', { id: 'J2', state: 'failed', exit_code: 2, signal: null, reason: null })), ['warn', 'job J2 failed: exited with code 2']);
  assert.deepEqual(line(ev('job.finished', { id: 'J3', state: 'timed_out', exit_code: null, signal: null, reason: 'walltime of 5 s reached' })), [
    'warn',
    'job J3 timed_out: walltime of 5 s reached',
  ]);
  assert.deepEqual(line(ev('job.finished', { id: 'J4', state: 'lost', reason: 'its launcher went silent' })), ['warn', 'job J4 lost: its launcher went silent']);
  assert.equal(eventLevel(ev('job.late_report', { id: 'J5' })), 'warn');
});

test('an event the log does not know is a debug line with its data', () => {
  assert.deepEqual(line(ev('something.new', { a: 1 })), ['debug', 'something.new {"a":1}']);
});

test('durations read as a person would say them', () => {
  assert.deepEqual([0, 400, 1000, 2500, 9960, 60000, 119_400, 180_000, 7_500_000].map(duration), ['0 ms', '400 ms', '1 s', '2.5 s', '10 s', '60 s', '119 s', '3 min', '2 h 5 min']);
});
