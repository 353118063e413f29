// The task manager's decisions, pure: (state, event, now) → actions. No timers, no
// processes: the I/O layer (task-manager.ts) feeds events and carries out the actions, and
// tests drive this with numbers for time. docs/spec.md "Supervision".
import type { TaskSpec } from '../config/types.js';
import type { Awaited } from './readiness.js';

export type StopReason = 'stalled' | 'scale' | 'stop' | 'restart' | 'shutdown' | 'replaced';

export interface WorkerState {
  pid: number;
  startedAt: number;
  lastAlive: number | undefined;
  phase: 'running' | 'stopping';
  stopReason: StopReason | undefined;
  /** The worker said (keep-alive `status: "stopping"`) that it is exiting on purpose. */
  leaving: boolean;
  info: string | undefined;
  adopted: boolean;
}

export interface Counters {
  stalled: number;
  exitedOk: number;
  exitedError: number;
  stopped: number;
  /**
   * Starts of a worker, or attempts (a spawn that fails counts), in place of a loss: a worker
   * that went without being asked to (an exit of any code, a signal, a stall) or a spawn that
   * failed. Starts that grow the pool, begin the task or serve a rolling restart are not.
   */
  restarts: number;
}

/** How a worker went when bl did not ask it to (contract LastExitJson, times in ms). */
export type ExitKind = 'exited' | 'killed' | 'stalled' | 'spawn_failed';
export interface LastExit {
  /** null for a spawn that failed: no process ever was. */
  pid: number | null;
  kind: ExitKind;
  code: number | null;
  signal: string | null;
  at: number;
  /** One line: `exited 1` (with the line of output that said what went wrong, when one did),
   * `killed by SIGKILL`, `stalled (…)`, or why the spawn failed. */
  message: string;
  /** The worker's last lines of output (its own pipe: its children's lines too). */
  output: string[];
}

export interface TaskRuntime {
  spec: TaskSpec;
  running: boolean;
  startedAt: number | undefined;
  lastAlive: number | undefined;
  workers: Map<number, WorkerState>;
  /** Quick deaths in a row (a death sooner than min_uptime after the start). */
  failures: number;
  /** No spawn before this time (backoff). */
  nextStartAt: number;
  /** When the last quick death happened: only workers started since prove the task stable. */
  lastFailureAt: number;
  flapping: boolean;
  /** Spawns asked for and not yet done: the I/O layer spawns big batches in chunks. */
  spawning: number;
  /** Losses not yet replaced (to count restarts). */
  toReplace: number;
  counters: Counters;
  /** The last loss that was not asked for; the status's "Last error" is its message. */
  lastExit: LastExit | undefined;
  /** Rolling restart under way: old workers still to replace, the new one awaited. */
  restart: { old: Set<number>; waitingFor: number | undefined } | undefined;
  /** Started, and waiting for the tasks it requires to be ready before its first spawn
   * (readiness.ts); empty once they were, or when it requires none. */
  waiting: Awaited[];
}

type DeepReadonly<T> =
  T extends Map<infer K, infer V>
    ? ReadonlyMap<K, DeepReadonly<V>>
    : T extends Set<infer V>
      ? ReadonlySet<V>
      : T extends (infer E)[]
        ? readonly DeepReadonly<E>[]
        : T extends object
          ? { readonly [P in keyof T]: DeepReadonly<T[P]> }
          : T;

/** What readers outside the reducer (routes, metrics, the supervisor) see: they only read. */
export type TaskView = DeepReadonly<TaskRuntime>;

/** The options `POST /tasks/T/set/:option/:value` changes besides the cardinality. */
export type TaskOption = 'stallTimeout' | 'gracePeriod';

export type TaskEvent =
  /** `waiting`: the required tasks not ready yet (the supervisor's gate); `recheckAt`: when to
   * ask again though nothing else happens. */
  | { type: 'start'; waiting?: Awaited[]; recheckAt?: number | undefined }
  /** The supervisor's gate again, after a required task changed (or at `recheckAt`). */
  | { type: 'requirements'; waiting: Awaited[]; recheckAt?: number | undefined }
  | { type: 'stop'; reason?: 'stop' | 'shutdown' }
  | { type: 'set-cardinality'; value: number }
  | { type: 'set-option'; option: TaskOption; value: number }
  /** A new config (SIGHUP): `previous` is what the old config said, to tell the file's changes
   * from the changes made at run time (the routes), which stay unless the file changed that field. */
  | { type: 'reconfigure'; spec: TaskSpec; previous: TaskSpec }
  /** Workers of an earlier daemon taken over: the task runs, as after a start. */
  | { type: 'adopt'; workers: { pid: number; startedAt: number }[] }
  | { type: 'restart' }
  | { type: 'spawned'; pid: number }
  | { type: 'spawn-failed'; error: string }
  /** `output`: the worker's last lines read so far (its pipe may hold more: see 'output');
   * `errorLine`: its last line that said what went wrong, near the end. */
  | { type: 'exited'; pid: number; code: number | null; signal: string | null; output?: readonly string[]; errorLine?: string }
  /** A worker's output ended (every writer of its pipes closed): its last lines, complete. */
  | { type: 'output'; pid: number; lines: readonly string[]; errorLine?: string }
  | { type: 'keepalive'; pid: number; status?: string; info?: string }
  | { type: 'tick' };

export type Action =
  | { type: 'spawn'; count: number }
  | { type: 'stop'; pid: number; reason: StopReason }
  | { type: 'wake'; at: number }
  | { type: 'emit'; topic: string; data: Record<string, unknown> };

export const FLAPPING_AFTER = 10;
export const FLAPPING_RETRY = 60000;

export function newRuntime(spec: TaskSpec): TaskRuntime {
  return {
    spec,
    running: false,
    startedAt: undefined,
    lastAlive: undefined,
    workers: new Map(),
    failures: 0,
    nextStartAt: 0,
    lastFailureAt: 0,
    flapping: false,
    spawning: 0,
    toReplace: 0,
    counters: { stalled: 0, exitedOk: 0, exitedError: 0, stopped: 0, restarts: 0 },
    lastExit: undefined,
    restart: undefined,
    waiting: [],
  };
}

/** Workers that count toward the cardinality (not on their way out). */
export function liveWorkers<W extends { readonly phase: WorkerState['phase'] }>(rt: { readonly workers: ReadonlyMap<number, W> }): W[] {
  return [...rt.workers.values()].filter((w) => w.phase === 'running');
}

export function taskState(rt: TaskView, now: number): 'running' | 'stopped' | 'backoff' | 'flapping' | 'waiting' {
  if (!rt.running) return 'stopped';
  if (rt.waiting.length > 0) return 'waiting';
  if (rt.flapping) return 'flapping';
  if (rt.nextStartAt > now && liveWorkers(rt).length < rt.spec.cardinality) return 'backoff';
  return 'running';
}

/** The seed's "Dead Workers": every loss but the ones stopped on purpose. */
export function deadCount(c: Readonly<Counters>): number {
  return c.stalled + c.exitedOk + c.exitedError;
}

function backoffDelay(rt: TaskRuntime): number {
  const d = rt.spec.backoffInitial * 2 ** Math.max(0, rt.failures - 1);
  return Math.min(d, rt.spec.backoffMax);
}

/** Applies an event without a decision (for a batch whose decision was already taken). */
export function record(rt: TaskRuntime, event: TaskEvent, now: number): Action[] {
  const out: Action[] = [];
  apply(rt, event, now, out);
  return out;
}

/** Applies one event, then reconciles; returns what the I/O layer must do. */
export function decide(rt: TaskRuntime, event: TaskEvent, now: number): Action[] {
  const out: Action[] = [];
  apply(rt, event, now, out);
  // Keep-alives are the hot path: they only move a deadline, which the next wake reads.
  // Only the replacement awaited by a rolling restart needs a decision at once.
  if (event.type === 'keepalive' && rt.restart?.waitingFor !== event.pid) return out;
  if (event.type === 'output') return out; // a record only: nothing to decide
  reconcile(rt, now, out);
  return out;
}

function stopWorker(w: WorkerState, reason: StopReason, out: Action[]): void {
  if (w.phase === 'stopping') return;
  w.phase = 'stopping';
  w.stopReason = reason;
  out.push({ type: 'stop', pid: w.pid, reason });
}

function start(rt: TaskRuntime, now: number, out: Action[]): void {
  if (rt.running) return;
  rt.running = true;
  rt.startedAt = now;
  rt.failures = 0;
  rt.flapping = false;
  rt.nextStartAt = 0;
  out.push({ type: 'emit', topic: 'task.started', data: { task: rt.spec.name } });
}

function addWorker(rt: TaskRuntime, pid: number, startedAt: number, adopted: boolean): void {
  rt.workers.set(pid, { pid, startedAt, lastAlive: undefined, phase: 'running', stopReason: undefined, leaving: false, info: undefined, adopted });
}

/** The new config's fields where it differs from the old one; the run-time values elsewhere. */
function reconfigured(current: TaskSpec, spec: TaskSpec, previous: TaskSpec): TaskSpec {
  const next: Record<string, unknown> = { ...current };
  for (const k of Object.keys(spec) as (keyof TaskSpec)[]) {
    if (JSON.stringify(spec[k]) !== JSON.stringify(previous[k])) next[k] = spec[k];
  }
  return next as unknown as TaskSpec;
}

function apply(rt: TaskRuntime, e: TaskEvent, now: number, out: Action[]): void {
  switch (e.type) {
    case 'start':
      if (rt.running) return;
      start(rt, now, out);
      rt.waiting = e.waiting ? [...e.waiting] : [];
      if (rt.waiting.length) out.push({ type: 'emit', topic: 'task.waiting', data: { task: rt.spec.name, waiting_for: rt.waiting } });
      if (rt.waiting.length && e.recheckAt !== undefined) out.push({ type: 'wake', at: e.recheckAt });
      return;
    case 'requirements':
      if (!rt.running || rt.waiting.length === 0) return;
      rt.waiting = [...e.waiting];
      if (rt.waiting.length === 0) out.push({ type: 'emit', topic: 'task.requirements_ready', data: { task: rt.spec.name, requires: [...rt.spec.requires] } });
      else if (e.recheckAt !== undefined) out.push({ type: 'wake', at: e.recheckAt });
      return;
    case 'adopt':
      start(rt, now, out);
      rt.waiting = [];
      for (const w of e.workers) addWorker(rt, w.pid, w.startedAt, true);
      return;
    case 'stop':
      if (rt.running) out.push({ type: 'emit', topic: 'task.stopped', data: { task: rt.spec.name } });
      rt.running = false;
      rt.waiting = [];
      rt.restart = undefined;
      rt.toReplace = 0;
      rt.spawning = 0;
      for (const w of rt.workers.values()) stopWorker(w, e.reason ?? 'stop', out);
      return;
    case 'set-cardinality':
      rt.spec = { ...rt.spec, cardinality: e.value };
      out.push({ type: 'emit', topic: 'task.scaled', data: { task: rt.spec.name, cardinality: e.value } });
      return;
    case 'set-option':
      rt.spec = { ...rt.spec, [e.option]: e.value };
      return;
    case 'reconfigure':
      rt.spec = reconfigured(rt.spec, e.spec, e.previous);
      // A cardinality set at run time stays under a max_cardinality the file lowered.
      const capped = rt.spec.cardinality > rt.spec.maxCardinality;
      if (capped) rt.spec = { ...rt.spec, cardinality: rt.spec.maxCardinality };
      if (capped || e.spec.cardinality !== e.previous.cardinality) {
        out.push({ type: 'emit', topic: 'task.scaled', data: { task: rt.spec.name, cardinality: rt.spec.cardinality } });
      }
      return;
    case 'restart':
      if (rt.running) {
        rt.restart = { old: new Set(liveWorkers(rt).map((w) => w.pid)), waitingFor: undefined };
        out.push({ type: 'emit', topic: 'task.restarting', data: { task: rt.spec.name, workers: rt.restart.old.size } });
      }
      return;
    case 'spawned': {
      if (rt.spawning > 0) rt.spawning--;
      addWorker(rt, e.pid, now, false);
      countRestart(rt);
      if (rt.restart && rt.restart.waitingFor === undefined) rt.restart.waitingFor = e.pid;
      return;
    }
    case 'spawn-failed':
      rt.spawning = 0; // the rest of the batch would fail the same way
      countRestart(rt);
      rt.lastExit = { pid: null, kind: 'spawn_failed', code: null, signal: null, at: now, message: e.error, output: [] };
      quickDeath(rt, now, out, e.error);
      rt.counters.exitedError++;
      if (rt.running) rt.toReplace++;
      return;
    case 'exited': {
      const w = rt.workers.get(e.pid);
      if (!w) return;
      rt.workers.delete(e.pid);
      if (w.phase === 'stopping') {
        if (w.stopReason !== 'stalled') rt.counters.stopped++;
        else if (rt.lastExit?.pid === e.pid && rt.lastExit.kind === 'stalled') {
          // The stall was recorded when it was found; how the stop ended completes it.
          rt.lastExit = { ...rt.lastExit, code: e.code, signal: e.signal, output: [...(e.output ?? rt.lastExit.output)] };
        }
        return;
      }
      const message = exitMessage(e.code, e.signal, e.errorLine);
      if (e.code === 0 && !e.signal) rt.counters.exitedOk++;
      else rt.counters.exitedError++;
      // A worker that said it was leaving and exited 0 went on purpose (its own).
      if (!(w.leaving && e.code === 0 && !e.signal)) {
        rt.lastExit = { pid: e.pid, kind: e.signal ? 'killed' : 'exited', code: e.code, signal: e.signal, at: now, message, output: [...(e.output ?? [])] };
      }
      if (!rt.running) return;
      rt.toReplace++;
      if (now - w.startedAt < rt.spec.minUptime && !w.leaving) quickDeath(rt, now, out, message);
      else stable(rt);
      return;
    }
    case 'output': {
      const last = rt.lastExit;
      if (last?.pid !== e.pid) return;
      const message = last.kind === 'exited' ? exitMessage(last.code, last.signal, e.errorLine) : last.message;
      rt.lastExit = { ...last, message, output: [...e.lines] };
      return;
    }
    case 'keepalive': {
      const w = rt.workers.get(e.pid);
      if (!w) return;
      w.lastAlive = now;
      rt.lastAlive = now;
      if (e.info !== undefined) w.info = e.info;
      if (e.status === 'stopping') w.leaving = true;
      return;
    }
    case 'tick':
      return;
  }
}

/**
 * `exited 1`, `exited 1: Error: Cannot find module 'x'` (a failure with the line of its output
 * that said why), `killed by SIGKILL`; an adopted worker's exit status is not ours to know.
 */
export function exitMessage(code: number | null, signal: string | null, errorLine?: string): string {
  if (signal) return `killed by ${signal}`;
  if (code === null) return 'exited, exit code unknown (adopted)';
  return code !== 0 && errorLine ? `exited ${code}: ${errorLine}` : `exited ${code}`;
}

/** A start (or an attempt) that takes the place of a loss: see Counters.restarts. */
function countRestart(rt: TaskRuntime): void {
  if (rt.toReplace === 0) return;
  rt.toReplace--;
  rt.counters.restarts++;
}

function quickDeath(rt: TaskRuntime, now: number, out: Action[], why: string): void {
  rt.failures++;
  rt.lastFailureAt = now;
  let delay = backoffDelay(rt);
  if (rt.failures >= FLAPPING_AFTER) {
    if (!rt.flapping) out.push({ type: 'emit', topic: 'task.flapping', data: { task: rt.spec.name, failures: rt.failures, last: why } });
    rt.flapping = true;
    delay = Math.max(delay, FLAPPING_RETRY);
  }
  rt.nextStartAt = now + delay;
}

function stable(rt: TaskRuntime): void {
  rt.failures = 0;
  rt.flapping = false;
  rt.nextStartAt = 0;
}

function reconcile(rt: TaskRuntime, now: number, out: Action[]): void {
  const s = rt.spec;
  let wake = Infinity;

  // Stalls: no keep-alive for stall_timeout since the last one (or since the start).
  if (s.stallTimeout > 0) {
    for (const w of rt.workers.values()) {
      if (w.phase !== 'running') continue;
      const due = (w.lastAlive ?? w.startedAt) + s.stallTimeout;
      if (now >= due) {
        rt.counters.stalled++;
        const message = w.lastAlive === undefined ? `stalled (no keep-alive within ${s.stallTimeout} ms of its start)` : `stalled (no keep-alive for ${s.stallTimeout} ms)`;
        rt.lastExit = { pid: w.pid, kind: 'stalled', code: null, signal: null, at: now, message, output: [] };
        out.push({ type: 'emit', topic: 'worker.stalled', data: { task: s.name, pid: w.pid, last_alive_at: w.lastAlive ?? null, message } });
        stopWorker(w, 'stalled', out);
        if (rt.running) rt.toReplace++;
      } else wake = Math.min(wake, due);
    }
  }

  // A worker started since the last quick death that stayed up min_uptime ends the backoff
  // (and flapping). Older siblings prove nothing: beside them one slot may crash-loop.
  if (rt.failures > 0 || rt.flapping) {
    for (const w of liveWorkers(rt)) {
      if (w.startedAt < rt.lastFailureAt) continue;
      if (now - w.startedAt >= s.minUptime) {
        if (rt.flapping) out.push({ type: 'emit', topic: 'task.recovered', data: { task: s.name } });
        stable(rt);
        break;
      }
      wake = Math.min(wake, w.startedAt + s.minUptime);
    }
  }

  // Not running, or waiting for its requirements: nothing to spawn.
  if (!rt.running || rt.waiting.length > 0) {
    if (wake < Infinity) out.push({ type: 'wake', at: wake });
    return;
  }

  // Rolling restart: stop an old worker once its replacement proved itself.
  const r = rt.restart;
  if (r) {
    for (const pid of r.old) {
      const w = rt.workers.get(pid);
      if (!w || w.phase !== 'running') r.old.delete(pid);
    }
    if (r.waitingFor !== undefined) {
      const nw = rt.workers.get(r.waitingFor);
      if (!nw || nw.phase !== 'running') r.waitingFor = undefined;
      else {
        const ready = s.stallTimeout > 0 ? nw.lastAlive !== undefined : now - nw.startedAt >= s.minUptime;
        if (ready) {
          const [oldest] = [...r.old].map((p) => rt.workers.get(p)!).sort((a, b) => a.startedAt - b.startedAt);
          if (oldest) {
            r.old.delete(oldest.pid);
            stopWorker(oldest, 'restart', out);
          }
          r.waitingFor = undefined;
        } else if (s.stallTimeout === 0) wake = Math.min(wake, nw.startedAt + s.minUptime);
      }
    }
    if (r.old.size === 0 && r.waitingFor === undefined) {
      rt.restart = undefined;
      out.push({ type: 'emit', topic: 'task.restarted', data: { task: s.name } });
    }
  }

  const extra = rt.restart && rt.restart.old.size > 0 ? 1 : 0;
  const desired = s.cardinality + extra;
  const live = liveWorkers(rt);
  // A loss whose slot a lower cardinality took away is not replaced: a later start that
  // grows the pool is no restart.
  rt.toReplace = Math.min(rt.toReplace, Math.max(0, desired - live.length));
  // Spawns still to come count as workers: a lower cardinality cancels them first.
  if (live.length + rt.spawning > desired) rt.spawning = Math.max(0, desired - live.length);
  if (live.length > desired) {
    // Scale down: old workers of a restart first, then the newest.
    const order = live.sort((a, b) => {
      const ao = rt.restart?.old.has(a.pid) ? 1 : 0;
      const bo = rt.restart?.old.has(b.pid) ? 1 : 0;
      return bo - ao || b.startedAt - a.startedAt;
    });
    for (const w of order.slice(0, live.length - desired)) {
      rt.restart?.old.delete(w.pid);
      stopWorker(w, 'scale', out);
    }
  } else if (live.length + rt.spawning < desired) {
    // After a quick death, one at a time until one stays up (no burst of doomed spawns).
    const probing =
      rt.failures > 0 && (rt.spawning > 0 || live.some((w) => w.startedAt >= rt.lastFailureAt && now - w.startedAt < s.minUptime));
    if (probing) {
      // the wake at the probe's min_uptime is already set above
    } else if (now >= rt.nextStartAt) {
      const count = rt.failures > 0 ? 1 : desired - live.length - rt.spawning;
      rt.spawning += count;
      out.push({ type: 'spawn', count });
    } else wake = Math.min(wake, rt.nextStartAt);
  }
  if (wake < Infinity) out.push({ type: 'wake', at: wake });
}
