import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, newRuntime, liveWorkers, taskState, deadCount, FLAPPING_AFTER, type Action, type TaskRuntime } from '../../../daemon/supervisor/decide.js';
import type { TaskSpec } from '../../../daemon/config/types.js';

function spec(over: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name: 'T', cmd: '/bin/true', args: [], cwd: '/', env: {}, cardinality: 2, autostart: true,
    stallTimeout: 1000, gracePeriod: 100, minUptime: 1000, backoffInitial: 100, backoffMax: 30000,
    captureOutput: false, adopt: false, requires: [], source: 'tasks', ...over,
  };
}

const spawns = (a: Action[]) => a.filter((x) => x.type === 'spawn').reduce((n, x) => n + (x as { count: number }).count, 0);
const stops = (a: Action[]) => a.filter((x): x is Extract<Action, { type: 'stop' }> => x.type === 'stop');
const wake = (a: Action[]) => (a.find((x) => x.type === 'wake') as { at: number } | undefined)?.at;

/** Starts a task and feeds back the spawns as pids 100, 101, … */
function started(rt: TaskRuntime, now: number, firstPid = 100): number[] {
  const n = spawns(decide(rt, { type: 'start' }, now));
  const pids = Array.from({ length: n }, (_, i) => firstPid + i);
  for (const pid of pids) decide(rt, { type: 'spawned', pid }, now);
  return pids;
}

test('start asks for cardinality workers; a stop stops them all', () => {
  const rt = newRuntime(spec({ cardinality: 3 }));
  assert.deepEqual(started(rt, 0), [100, 101, 102]);
  const a = decide(rt, { type: 'stop' }, 10);
  assert.deepEqual(stops(a).map((s) => [s.pid, s.reason]), [[100, 'stop'], [101, 'stop'], [102, 'stop']]);
  for (const pid of [100, 101, 102]) decide(rt, { type: 'exited', pid, code: null, signal: 'SIGTERM' }, 20);
  assert.equal(rt.counters.stopped, 3);
  assert.equal(deadCount(rt.counters), 0);
  assert.equal(taskState(rt, 20), 'stopped');
});

test('cardinality moves both ways; scale-down stops the newest', () => {
  const rt = newRuntime(spec({ cardinality: 1, stallTimeout: 0 }));
  started(rt, 0);
  assert.equal(spawns(decide(rt, { type: 'set-cardinality', value: 3 }, 5)), 2);
  decide(rt, { type: 'spawned', pid: 200 }, 5);
  decide(rt, { type: 'spawned', pid: 201 }, 6);
  const a = decide(rt, { type: 'set-cardinality', value: 1 }, 10);
  assert.deepEqual(stops(a).map((s) => s.pid), [201, 200]);
  assert.equal(liveWorkers(rt).length, 1);
});

test('a worker that dies after min_uptime is replaced at once', () => {
  const rt = newRuntime(spec({ cardinality: 1 }));
  started(rt, 0);
  decide(rt, { type: 'keepalive', pid: 100 }, 900);
  const a = decide(rt, { type: 'exited', pid: 100, code: 1, signal: null }, 1500);
  assert.equal(spawns(a), 1);
  assert.equal(rt.counters.exitedError, 1);
});

test('quick deaths back off exponentially, up to the cap, then flapping retries every 60 s', () => {
  const rt = newRuntime(spec({ cardinality: 1, stallTimeout: 0, backoffMax: 30000 }));
  let now = 0;
  let pid = 100;
  started(rt, now, pid);
  const delays: number[] = [];
  for (let i = 0; i < FLAPPING_AFTER + 1; i++) {
    now += 10;
    const a = decide(rt, { type: 'exited', pid, code: 0, signal: null }, now);
    assert.equal(spawns(a), 0, 'no spawn before the backoff ends');
    const at = wake(a)!;
    delays.push(at - now);
    now = at;
    assert.equal(spawns(decide(rt, { type: 'tick' }, now)), 1);
    decide(rt, { type: 'spawned', pid: ++pid }, now);
  }
  assert.deepEqual(delays.slice(0, 9), [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600]);
  assert.equal(delays[9], 60000);
  assert.equal(taskState(rt, now), 'flapping');
  // One that stays up min_uptime ends it.
  const a = decide(rt, { type: 'tick' }, now + 1000);
  assert.equal(rt.flapping, false);
  assert.ok(a.some((x) => x.type === 'emit' && x.topic === 'task.recovered'));
});

test('during backoff only one probe worker runs until it proves stable', () => {
  const rt = newRuntime(spec({ cardinality: 1, stallTimeout: 0 }));
  started(rt, 0);
  decide(rt, { type: 'exited', pid: 100, code: 1, signal: null }, 10);
  assert.equal(spawns(decide(rt, { type: 'tick' }, 110)), 1);
  decide(rt, { type: 'spawned', pid: 300 }, 110);
  assert.equal(spawns(decide(rt, { type: 'set-cardinality', value: 3 }, 150)), 0, 'a probe is running: wait');
  const a = decide(rt, { type: 'tick' }, 1110);
  assert.equal(rt.failures, 0);
  assert.equal(spawns(a), 2, 'the probe stayed up: the rest start together');
});

test('no keep-alive for stall_timeout: stalled, stopped, counted, replaced', () => {
  const rt = newRuntime(spec({ cardinality: 1, stallTimeout: 1000 }));
  started(rt, 0);
  decide(rt, { type: 'keepalive', pid: 100 }, 500);
  assert.equal(wake(decide(rt, { type: 'tick' }, 600)), 1500, 'wakes exactly at the deadline');
  assert.equal(stops(decide(rt, { type: 'tick' }, 1499)).length, 0);
  const a = decide(rt, { type: 'tick' }, 1500);
  assert.deepEqual(stops(a).map((s) => [s.pid, s.reason]), [[100, 'stalled']]);
  assert.equal(spawns(a), 1, 'the replacement starts while the stalled one is stopped');
  assert.equal(rt.counters.stalled, 1);
  decide(rt, { type: 'exited', pid: 100, code: null, signal: 'SIGKILL' }, 1600);
  assert.equal(rt.counters.stalled, 1);
  assert.equal(rt.counters.stopped, 0, 'a stall is not counted twice');
  assert.equal(deadCount(rt.counters), 1);
});

test('stall_timeout 0 turns stall detection off', () => {
  const rt = newRuntime(spec({ cardinality: 1, stallTimeout: 0 }));
  started(rt, 0);
  assert.equal(stops(decide(rt, { type: 'tick' }, 10_000_000)).length, 0);
});

test('rolling restart replaces one by one, each old one after its replacement sent a keep-alive', () => {
  const rt = newRuntime(spec({ cardinality: 2 }));
  started(rt, 0); // 100, 101
  decide(rt, { type: 'keepalive', pid: 100 }, 50);
  decide(rt, { type: 'keepalive', pid: 101 }, 50);
  let a = decide(rt, { type: 'restart' }, 100);
  assert.equal(spawns(a), 1);
  decide(rt, { type: 'spawned', pid: 102 }, 100);
  assert.equal(stops(decide(rt, { type: 'tick' }, 200)).length, 0, 'not before the new one is alive');
  a = decide(rt, { type: 'keepalive', pid: 102 }, 300);
  assert.deepEqual(stops(a).map((s) => [s.pid, s.reason]), [[100, 'restart']]);
  assert.equal(spawns(a), 1);
  decide(rt, { type: 'spawned', pid: 103 }, 300);
  a = decide(rt, { type: 'keepalive', pid: 103 }, 400);
  assert.deepEqual(stops(a).map((s) => s.pid), [101]);
  assert.ok(a.some((x) => x.type === 'emit' && x.topic === 'task.restarted'));
  assert.equal(spawns(a), 0);
  assert.equal(rt.restart, undefined);
});

test('a worker exiting after saying "stopping" is not a quick death', () => {
  const rt = newRuntime(spec({ cardinality: 1 }));
  started(rt, 0);
  decide(rt, { type: 'keepalive', pid: 100, status: 'stopping' }, 10);
  const a = decide(rt, { type: 'exited', pid: 100, code: 0, signal: null }, 20);
  assert.equal(rt.failures, 0);
  assert.equal(spawns(a), 1);
});

test('a failed spawn backs off like a quick death', () => {
  const rt = newRuntime(spec({ cardinality: 1 }));
  decide(rt, { type: 'start' }, 0);
  const a = decide(rt, { type: 'spawn-failed', error: 'command not found: x' }, 0);
  assert.equal(spawns(a), 0);
  assert.equal(wake(a), 100);
  assert.equal(taskState(rt, 50), 'backoff');
});

test('one crash-looping slot beside stable siblings still backs off (siblings prove nothing)', () => {
  const rt = newRuntime(spec({ cardinality: 3, stallTimeout: 0 }));
  started(rt, 0); // 100, 101, 102, all stable after 1 s
  let now = 5000;
  // 102 dies after 5 s: not a quick death, replaced at once by 199, which dies after 50 ms.
  assert.equal(spawns(decide(rt, { type: 'exited', pid: 102, code: 1, signal: null }, now)), 1);
  decide(rt, { type: 'spawned', pid: 199 }, now);
  now += 50;
  let pid = 199;
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    const a = decide(rt, { type: 'exited', pid, code: 1, signal: null }, now);
    assert.equal(spawns(a), 0);
    const at = wake(a)!;
    delays.push(at - now);
    now = at;
    assert.equal(spawns(decide(rt, { type: 'tick' }, now)), 1);
    pid = 200 + i;
    decide(rt, { type: 'spawned', pid }, now);
    now += 50; // dies 50 ms after its start
  }
  assert.deepEqual(delays, [100, 200, 400, 800]);
});

test('a quick death of one of several young siblings is replaced after the backoff, not after the others\' min_uptime', () => {
  const rt = newRuntime(spec({ cardinality: 3, stallTimeout: 0 }));
  started(rt, 0);
  const a = decide(rt, { type: 'exited', pid: 100, code: null, signal: 'SIGKILL' }, 300);
  assert.equal(wake(a), 400);
  assert.equal(spawns(decide(rt, { type: 'tick' }, 400)), 1);
});

const emits = (a: Action[]) => a.filter((x): x is Extract<Action, { type: 'emit' }> => x.type === 'emit');

test('set-option stall_timeout applies to running workers at once: longer moves the deadline, shorter stalls the overdue', () => {
  const rt = newRuntime(spec({ cardinality: 1, stallTimeout: 1000 }));
  started(rt, 0);
  decide(rt, { type: 'keepalive', pid: 100 }, 200);
  let a = decide(rt, { type: 'set-option', option: 'stallTimeout', value: 5000 }, 300);
  assert.equal(rt.spec.stallTimeout, 5000);
  assert.equal(wake(a), 5200, 'the deadline is the last keep-alive plus the new timeout');
  assert.deepEqual(emits(a), [], 'no event: the route answers for the change');
  assert.equal(stops(decide(rt, { type: 'tick' }, 1300)).length, 0, 'not stalled at the old deadline');
  a = decide(rt, { type: 'set-option', option: 'stallTimeout', value: 500 }, 1300);
  assert.deepEqual(stops(a).map((s) => [s.pid, s.reason]), [[100, 'stalled']]);
  assert.equal(spawns(a), 1);
  assert.equal(rt.counters.stalled, 1);
});

test('set-option grace_period only changes the setting (read when a worker is stopped)', () => {
  const rt = newRuntime(spec({ cardinality: 1, stallTimeout: 0 }));
  started(rt, 0);
  const a = decide(rt, { type: 'set-option', option: 'gracePeriod', value: 7000 }, 10);
  assert.equal(rt.spec.gracePeriod, 7000);
  assert.deepEqual(a, []);
});

test('reconfigure takes the fields the file changed and keeps what was set at run time elsewhere', () => {
  const old = spec({ cardinality: 1, stallTimeout: 0 });
  const rt = newRuntime(old);
  started(rt, 0); // 100
  decide(rt, { type: 'set-cardinality', value: 3 }, 10);
  decide(rt, { type: 'spawned', pid: 101 }, 10);
  decide(rt, { type: 'spawned', pid: 102 }, 15);
  decide(rt, { type: 'set-option', option: 'gracePeriod', value: 5000 }, 20);

  // The file changes the args only: the run-time cardinality and grace period stay.
  const edited = { ...old, args: ['--new'] };
  let a = decide(rt, { type: 'reconfigure', spec: edited, previous: old }, 30);
  assert.deepEqual(rt.spec, { ...old, args: ['--new'], cardinality: 3, gracePeriod: 5000 });
  assert.deepEqual(a, [], 'nothing to stop, start or tell');

  // The file changes the cardinality and the grace period: both are taken, the pool shrinks.
  const resized = { ...edited, cardinality: 2, gracePeriod: 300 };
  a = decide(rt, { type: 'reconfigure', spec: resized, previous: edited }, 40);
  assert.equal(rt.spec.cardinality, 2);
  assert.equal(rt.spec.gracePeriod, 300);
  assert.deepEqual(emits(a).map((e) => [e.topic, e.data]), [['task.scaled', { task: 'T', cardinality: 2 }]]);
  assert.deepEqual(stops(a).map((s) => [s.pid, s.reason]), [[102, 'scale']], 'the newest goes');
});

test('reconfigure of a stopped task changes its settings and starts nothing', () => {
  const old = spec({ cardinality: 1 });
  const rt = newRuntime(old);
  const a = decide(rt, { type: 'reconfigure', spec: { ...old, cardinality: 4, minUptime: 50 }, previous: old }, 0);
  assert.equal(rt.spec.cardinality, 4);
  assert.equal(rt.spec.minUptime, 50);
  assert.equal(spawns(a), 0);
  assert.equal(taskState(rt, 0), 'stopped');
});

test('adopt starts the task as start does, with every adopted worker counted in one decision', () => {
  const rt = newRuntime(spec({ cardinality: 2, stallTimeout: 0 }));
  const a = decide(rt, { type: 'adopt', workers: [{ pid: 500, startedAt: -9000 }, { pid: 501, startedAt: -8000 }] }, 0);
  assert.deepEqual(emits(a).map((e) => [e.topic, e.data]), [['task.started', { task: 'T' }]]);
  assert.equal(spawns(a), 0, 'the adopted workers fill the cardinality: no extra worker');
  assert.equal(stops(a).length, 0);
  assert.equal(rt.running, true);
  assert.equal(rt.startedAt, 0);
  assert.deepEqual([...rt.workers.values()].map((w) => [w.pid, w.startedAt, w.adopted]), [[500, -9000, true], [501, -8000, true]]);
  assert.equal(taskState(rt, 0), 'running');
  assert.deepEqual(decide(rt, { type: 'start' }, 10), [], 'a start after the adoption is a no-op');
  // An adopted worker that dies is replaced like any other.
  const b = decide(rt, { type: 'exited', pid: 500, code: null, signal: 'SIGKILL' }, 20);
  assert.equal(spawns(b), 1);
  decide(rt, { type: 'spawned', pid: 502 }, 20);
  assert.equal(rt.counters.restarts, 1);
  assert.equal(rt.workers.get(502)?.adopted, false);
});

test('adopt fills the rest of the cardinality, or stops the newest adopted beyond it', () => {
  const few = newRuntime(spec({ cardinality: 3, stallTimeout: 0 }));
  assert.equal(spawns(decide(few, { type: 'adopt', workers: [{ pid: 500, startedAt: -5000 }] }, 0)), 2);

  const many = newRuntime(spec({ cardinality: 1, stallTimeout: 0 }));
  const a = decide(many, { type: 'adopt', workers: [{ pid: 500, startedAt: -5000 }, { pid: 501, startedAt: -4000 }] }, 0);
  assert.deepEqual(stops(a).map((s) => [s.pid, s.reason]), [[501, 'scale']]);
  assert.equal(spawns(a), 0);
});

test('adopt into a task already running adds the workers without a second task.started', () => {
  const rt = newRuntime(spec({ cardinality: 2, stallTimeout: 0 }));
  decide(rt, { type: 'start' }, 0);
  const a = decide(rt, { type: 'adopt', workers: [{ pid: 500, startedAt: -1000 }] }, 5);
  assert.deepEqual(emits(a), []);
  assert.equal(rt.startedAt, 0);
  assert.equal(liveWorkers(rt).length, 1);
});

// ---- the last exit, and what Restarts counts --------------------------------------------

test('the last exit: an exit by itself or by a signal, with its code, signal, time, message and last lines', () => {
  const rt = newRuntime(spec({ cardinality: 2, stallTimeout: 0 }));
  started(rt, 0); // 100, 101
  decide(rt, { type: 'exited', pid: 100, code: 1, signal: null, output: ['booting', 'Error: boom'], errorLine: 'Error: boom' }, 5000);
  assert.deepEqual(rt.lastExit, { pid: 100, kind: 'exited', code: 1, signal: null, at: 5000, message: 'exited 1: Error: boom', output: ['booting', 'Error: boom'] });
  decide(rt, { type: 'exited', pid: 101, code: null, signal: 'SIGKILL', output: ['working'], errorLine: 'Error: unrelated' }, 6000);
  assert.deepEqual(rt.lastExit, { pid: 101, kind: 'killed', code: null, signal: 'SIGKILL', at: 6000, message: 'killed by SIGKILL', output: ['working'] }, 'a signal says it all: no line of output in the message');
});

test('an exit 0 is a last exit too, without a line of output in its message; one announced by the worker is not', () => {
  const rt = newRuntime(spec({ cardinality: 2, stallTimeout: 0 }));
  started(rt, 0);
  decide(rt, { type: 'exited', pid: 100, code: 0, signal: null, output: [], errorLine: 'no errors found' }, 5000);
  assert.equal(rt.lastExit?.message, 'exited 0');
  decide(rt, { type: 'keepalive', pid: 101, status: 'stopping' }, 5100);
  decide(rt, { type: 'exited', pid: 101, code: 0, signal: null }, 5200);
  assert.equal(rt.lastExit?.pid, 100, 'a worker that said it was leaving and exited 0 went on purpose');
});

test('workers stopped on purpose leave no last exit', () => {
  const rt = newRuntime(spec({ cardinality: 2, stallTimeout: 0 }));
  started(rt, 0);
  const [scaled] = stops(decide(rt, { type: 'set-cardinality', value: 1 }, 10));
  decide(rt, { type: 'exited', pid: scaled!.pid, code: null, signal: 'SIGTERM' }, 20);
  const [stopped] = stops(decide(rt, { type: 'stop' }, 30));
  decide(rt, { type: 'exited', pid: stopped!.pid, code: 143, signal: null }, 40);
  assert.equal(rt.workers.size, 0);
  assert.equal(rt.lastExit, undefined);
});

test("the output's end completes the last exit's lines and message (a pipe read after the exit)", () => {
  const rt = newRuntime(spec({ cardinality: 1, stallTimeout: 0 }));
  started(rt, 0);
  decide(rt, { type: 'exited', pid: 100, code: 2, signal: null, output: ['a'] }, 5000);
  assert.equal(rt.lastExit?.message, 'exited 2');
  const a = decide(rt, { type: 'output', pid: 100, lines: ['a', 'fatal: no config'], errorLine: 'fatal: no config' }, 5001);
  assert.deepEqual(a, [], 'a record, nothing to do');
  assert.deepEqual([rt.lastExit?.message, rt.lastExit?.output], ['exited 2: fatal: no config', ['a', 'fatal: no config']]);
  // The end of another worker's output (one stopped on purpose) changes nothing.
  decide(rt, { type: 'output', pid: 999, lines: ['x'] }, 5002);
  assert.deepEqual(rt.lastExit?.output, ['a', 'fatal: no config']);
});

test('a stall is a last exit when found; the end of the stopped worker adds how it went and its lines', () => {
  const rt = newRuntime(spec({ cardinality: 1, stallTimeout: 1000 }));
  started(rt, 0);
  decide(rt, { type: 'keepalive', pid: 100 }, 500);
  decide(rt, { type: 'tick' }, 1500);
  assert.deepEqual(rt.lastExit, { pid: 100, kind: 'stalled', code: null, signal: null, at: 1500, message: 'stalled (no keep-alive for 1000 ms)', output: [] });
  decide(rt, { type: 'exited', pid: 100, code: null, signal: 'SIGTERM', output: ['stuck'] }, 1600);
  assert.deepEqual(rt.lastExit, { pid: 100, kind: 'stalled', code: null, signal: 'SIGTERM', at: 1500, message: 'stalled (no keep-alive for 1000 ms)', output: ['stuck'] });

  const silent = newRuntime(spec({ cardinality: 1, stallTimeout: 1000 }));
  started(silent, 0);
  decide(silent, { type: 'tick' }, 1000);
  assert.equal(silent.lastExit?.message, 'stalled (no keep-alive within 1000 ms of its start)');
});

test('a failed spawn is a last exit of its own kind, with no pid and the reason as its message', () => {
  const rt = newRuntime(spec({ cardinality: 1 }));
  decide(rt, { type: 'start' }, 0);
  decide(rt, { type: 'spawn-failed', error: 'working directory does not exist: /nope' }, 7);
  assert.deepEqual(rt.lastExit, { pid: null, kind: 'spawn_failed', code: null, signal: null, at: 7, message: 'working directory does not exist: /nope', output: [] });
});

test('Restarts: a task whose spawns fail counts as many as one whose workers crash, in the same backoff', () => {
  const crashing = newRuntime(spec({ cardinality: 1, stallTimeout: 0 }));
  const failing = newRuntime(spec({ cardinality: 1, stallTimeout: 0 }));
  let now = 0;
  let pid = 100;
  started(crashing, now, pid);
  assert.equal(spawns(decide(failing, { type: 'start' }, now)), 1);
  decide(failing, { type: 'spawn-failed', error: 'command not found: x' }, now);
  for (let i = 0; i < 7; i++) {
    now += 10;
    const a = decide(crashing, { type: 'exited', pid, code: 1, signal: null }, now);
    now = Math.max(wake(a)!, failing.nextStartAt);
    assert.equal(spawns(decide(crashing, { type: 'tick' }, now)), 1);
    decide(crashing, { type: 'spawned', pid: ++pid }, now);
    assert.equal(spawns(decide(failing, { type: 'tick' }, now)), 1, 'the failing task tries again after its backoff');
    decide(failing, { type: 'spawn-failed', error: 'command not found: x' }, now);
  }
  assert.equal(crashing.counters.restarts, 7);
  assert.equal(failing.counters.restarts, 7, 'each attempt after the first failed one is a restart');
  assert.equal(failing.counters.exitedError, 8);
});

test('Restarts: replacing a stalled worker counts; growing the pool and a rolling restart do not', () => {
  const rt = newRuntime(spec({ cardinality: 1, stallTimeout: 1000 }));
  started(rt, 0); // 100
  assert.equal(spawns(decide(rt, { type: 'tick' }, 1000)), 1, 'stalled: replaced');
  decide(rt, { type: 'spawned', pid: 101 }, 1000);
  assert.equal(rt.counters.restarts, 1);
  decide(rt, { type: 'keepalive', pid: 101 }, 1100);
  assert.equal(spawns(decide(rt, { type: 'set-cardinality', value: 2 }, 1200)), 1);
  decide(rt, { type: 'spawned', pid: 102 }, 1200);
  decide(rt, { type: 'keepalive', pid: 102 }, 1300);
  assert.equal(spawns(decide(rt, { type: 'restart' }, 1400)), 1);
  decide(rt, { type: 'spawned', pid: 103 }, 1400);
  assert.equal(rt.counters.restarts, 1, 'neither the new slot nor the rolling restart\'s new worker is a restart');
});

test('Restarts: a loss whose slot a lower cardinality took is not replaced, so a later scale-up is no restart', () => {
  const rt = newRuntime(spec({ cardinality: 2, stallTimeout: 0, minUptime: 0 }));
  started(rt, 0); // 100, 101
  const a = decide(rt, { type: 'exited', pid: 100, code: 1, signal: null }, 10);
  assert.equal(spawns(a), 1);
  decide(rt, { type: 'set-cardinality', value: 1 }, 10); // the spawn asked for is cancelled
  assert.equal(spawns(decide(rt, { type: 'set-cardinality', value: 2 }, 20)), 1);
  decide(rt, { type: 'spawned', pid: 102 }, 20);
  assert.equal(rt.counters.restarts, 0);
});
