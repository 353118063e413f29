// What follows an exit, read from the reducer's state after its decision (pure: numbers for time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, newRuntime, FLAPPING_AFTER, FLAPPING_RETRY, type Action, type TaskRuntime } from '../../../daemon/supervisor/decide.js';
import { exitOutlook } from '../../../daemon/supervisor/exit-outlook.js';
import type { TaskSpec } from '../../../daemon/config/types.js';

function spec(over: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name: 'T', cmd: '/bin/true', args: [], cwd: '/', env: {}, cardinality: 1, autostart: true,
    stallTimeout: 0, gracePeriod: 100, minUptime: 1000, backoffInitial: 100, backoffMax: 30000,
    captureOutput: false, adopt: false, requires: [], source: 'tasks', ...over,
  };
}
const spawns = (a: Action[]) => a.filter((x) => x.type === 'spawn').reduce((n, x) => n + (x as { count: number }).count, 0);

/** Feeds back every spawn asked for as a new pid. */
let nextPid = 100;
function run(rt: TaskRuntime, a: Action[], now: number): number[] {
  const pids = Array.from({ length: spawns(a) }, () => nextPid++);
  for (const pid of pids) decide(rt, { type: 'spawned', pid }, now);
  return pids;
}

test('a worker that was up long enough is replaced at once', () => {
  const rt = newRuntime(spec());
  const [pid] = run(rt, decide(rt, { type: 'start' }, 0), 0);
  const a = decide(rt, { type: 'exited', pid: pid!, code: null, signal: 'SIGKILL' }, 5000);
  assert.equal(spawns(a), 1);
  assert.deepEqual(exitOutlook(rt, 5000), { next: 'restart', next_start_at: null, delay_ms: null, failures: 0 });
});

test('quick deaths: a backoff that doubles, then flapping with its minute', () => {
  const rt = newRuntime(spec());
  let [pid] = run(rt, decide(rt, { type: 'start' }, 0), 0);
  let now = 0;
  const delays: number[] = [];
  for (let i = 1; i < FLAPPING_AFTER; i++) {
    now += 50;
    decide(rt, { type: 'exited', pid: pid!, code: 1, signal: null }, now);
    const o = exitOutlook(rt, now);
    assert.equal(o.next, 'backoff');
    assert.equal(o.failures, i);
    assert.equal(o.next_start_at, new Date(now + o.delay_ms!).toISOString());
    delays.push(o.delay_ms!);
    now += o.delay_ms!;
    [pid] = run(rt, decide(rt, { type: 'tick' }, now), now);
  }
  assert.deepEqual(delays.slice(0, 4), [100, 200, 400, 800]);
  now += 50;
  decide(rt, { type: 'exited', pid: pid!, code: 1, signal: null }, now);
  assert.deepEqual(exitOutlook(rt, now), { next: 'flapping', next_start_at: new Date(now + FLAPPING_RETRY).toISOString(), delay_ms: FLAPPING_RETRY, failures: FLAPPING_AFTER });
});

test('a task stopped: no restart; a pool scaled down meanwhile: none needed', () => {
  const rt = newRuntime(spec({ cardinality: 2 }));
  const [a, b] = run(rt, decide(rt, { type: 'start' }, 0), 0);
  decide(rt, { type: 'set-cardinality', value: 1 }, 10);
  // The newest went on purpose; the other one exits by itself after a long life while one is enough.
  decide(rt, { type: 'exited', pid: b!, code: null, signal: 'SIGTERM' }, 20);
  decide(rt, { type: 'set-cardinality', value: 0 }, 5000);
  decide(rt, { type: 'exited', pid: a!, code: 0, signal: null }, 5010);
  assert.equal(exitOutlook(rt, 5010).next, 'none');
  decide(rt, { type: 'stop' }, 6000);
  assert.equal(exitOutlook(rt, 6000).next, 'stopped');
});
