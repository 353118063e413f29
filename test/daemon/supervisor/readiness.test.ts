// Readiness, pure: a worker is ready at its first keep-alive, or at min_uptime with stall
// detection off; a task when it runs with its full cardinality ready. A task gated on its
// requirements spawns nothing until the gate opens, and says what it waits for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, newRuntime, taskState, type Action, type TaskRuntime } from '../../../daemon/supervisor/decide.js';
import { gate, isReady, nextReadyAt, readyWorkers } from '../../../daemon/supervisor/readiness.js';
import type { TaskSpec } from '../../../daemon/config/types.js';

function spec(over: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name: 'A', cmd: '/bin/true', args: [], cwd: '/', env: {}, cardinality: 2, autostart: true,
    stallTimeout: 1000, gracePeriod: 100, minUptime: 500, backoffInitial: 100, backoffMax: 30000,
    captureOutput: false, adopt: false, requires: [], source: 'tasks', ...over,
  };
}

const spawns = (a: Action[]) => a.filter((x) => x.type === 'spawn').reduce((n, x) => n + (x as { count: number }).count, 0);
const topics = (a: Action[]) => a.filter((x) => x.type === 'emit').map((x) => (x as { topic: string }).topic);

function running(s: TaskSpec, now: number): TaskRuntime {
  const rt = newRuntime(s);
  const n = spawns(decide(rt, { type: 'start' }, now));
  for (let i = 0; i < n; i++) decide(rt, { type: 'spawned', pid: 100 + i }, now);
  return rt;
}

test('with stall detection on, a worker is ready at its first keep-alive; the task when all of its cardinality are', () => {
  const a = running(spec(), 0);
  assert.deepEqual([readyWorkers(a, 10_000), isReady(a, 10_000)], [0, false], 'uptime alone does not make it ready');
  decide(a, { type: 'keepalive', pid: 100 }, 20);
  assert.deepEqual([readyWorkers(a, 20), isReady(a, 20)], [1, false]);
  decide(a, { type: 'keepalive', pid: 101 }, 30);
  assert.deepEqual([readyWorkers(a, 30), isReady(a, 30)], [2, true]);
  assert.equal(nextReadyAt(a, 30), undefined, 'no time makes a keep-alive task ready');
  decide(a, { type: 'stop' }, 40);
  assert.equal(isReady(a, 40), false, 'a stopped task is not ready');
});

test('with stall detection off, a worker is ready after min_uptime', () => {
  const a = running(spec({ stallTimeout: 0 }), 1000);
  assert.deepEqual([readyWorkers(a, 1499), nextReadyAt(a, 1499)], [0, 1500]);
  assert.deepEqual([readyWorkers(a, 1500), isReady(a, 1500), nextReadyAt(a, 1500)], [2, true, undefined]);
});

test('the gate lists the required tasks not ready, with their counts, and when to look again', () => {
  const a = running(spec({ stallTimeout: 0 }), 0);
  const b = newRuntime(spec({ name: 'B', cardinality: 1 }));
  assert.deepEqual(gate([a, b], 100), {
    waiting: [{ task: 'A', ready: 0, cardinality: 2 }, { task: 'B', ready: 0, cardinality: 1 }],
    recheckAt: 500,
  });
  assert.deepEqual(gate([a], 500), { waiting: [], recheckAt: undefined });
  assert.deepEqual(gate([], 0), { waiting: [], recheckAt: undefined }, 'no requirement: open');
});

test('a gated start spawns nothing and says it waits; the gate opening spawns the cardinality', () => {
  const w = newRuntime(spec({ name: 'W', requires: ['A'], cardinality: 3 }));
  const waiting = [{ task: 'A', ready: 0, cardinality: 2 }];
  const a1 = decide(w, { type: 'start', waiting, recheckAt: 700 }, 0);
  assert.equal(spawns(a1), 0);
  assert.deepEqual(topics(a1), ['task.started', 'task.waiting']);
  assert.ok(a1.some((x) => x.type === 'wake' && x.at === 700), 'wakes to ask again');
  assert.equal(taskState(w, 0), 'waiting');
  assert.equal(spawns(decide(w, { type: 'tick' }, 800)), 0, 'a tick does not open the gate');
  assert.equal(spawns(decide(w, { type: 'requirements', waiting: [{ task: 'A', ready: 1, cardinality: 2 }] }, 900)), 0);
  assert.deepEqual(w.waiting, [{ task: 'A', ready: 1, cardinality: 2 }], 'the counts follow');
  const open = decide(w, { type: 'requirements', waiting: [] }, 1000);
  assert.equal(spawns(open), 3);
  assert.deepEqual(topics(open), ['task.requirements_ready']);
  assert.equal(taskState(w, 1000), 'running');
  // Once open, the gate is not asked again: a replacement does not wait.
  decide(w, { type: 'spawned', pid: 1 }, 1000);
  assert.equal(spawns(decide(w, { type: 'requirements', waiting: [{ task: 'A', ready: 0, cardinality: 2 }] }, 1100)), 0);
  assert.deepEqual(w.waiting, []);
});

test('a stop ends the wait; a start of a running task does not gate it again', () => {
  const w = newRuntime(spec({ name: 'W', requires: ['A'] }));
  decide(w, { type: 'start', waiting: [{ task: 'A', ready: 0, cardinality: 1 }] }, 0);
  decide(w, { type: 'stop' }, 10);
  assert.deepEqual([w.waiting, taskState(w, 10)], [[], 'stopped']);
  assert.equal(spawns(decide(w, { type: 'start' }, 20)), 2);
  assert.deepEqual(decide(w, { type: 'start', waiting: [{ task: 'A', ready: 0, cardinality: 1 }] }, 30), []);
  assert.equal(taskState(w, 30), 'running');
});
