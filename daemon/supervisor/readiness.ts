// When a task is ready for the tasks that require it, pure. A worker is ready once it sent
// its first keep-alive, or, for a task with stall detection off (its program sends none), once
// it has been up `min_uptime`; a task is ready when it runs with its full cardinality of ready
// workers. A task that requires others starts its workers only when all of them are ready
// (the supervisor asks `gate` again whenever one of them changes).
import type { TaskView, WorkerState } from './decide.js';
import { liveWorkers } from './decide.js';

/** A required task not ready yet, as the status shows it: `A (1 of 2 workers ready)`. */
export interface Awaited {
  task: string;
  ready: number;
  cardinality: number;
}

type Spec = TaskView['spec'];

export function workerReady(w: Readonly<WorkerState>, spec: Spec, now: number): boolean {
  return spec.stallTimeout > 0 ? w.lastAlive !== undefined : now - w.startedAt >= spec.minUptime;
}

export function readyWorkers(rt: TaskView, now: number): number {
  let n = 0;
  for (const w of liveWorkers(rt)) if (workerReady(w, rt.spec, now)) n++;
  return n;
}

/** Runs, its own requirements met, with every worker of its cardinality ready. */
export function isReady(rt: TaskView, now: number): boolean {
  return rt.running && rt.waiting.length === 0 && readyWorkers(rt, now) >= rt.spec.cardinality;
}

/** When a worker not ready yet will be by uptime alone (stall detection off); undefined when none will. */
export function nextReadyAt(rt: TaskView, now: number): number | undefined {
  if (rt.spec.stallTimeout > 0) return undefined;
  let at: number | undefined;
  for (const w of liveWorkers(rt)) {
    const t = w.startedAt + rt.spec.minUptime;
    if (t > now && (at === undefined || t < at)) at = t;
  }
  return at;
}

export interface Gate {
  /** The required tasks not ready, in the order required; empty: the task may start its workers. */
  waiting: Awaited[];
  /** When to ask again though nothing else happens (a required worker reaching min_uptime). */
  recheckAt: number | undefined;
}

export function gate(required: readonly TaskView[], now: number): Gate {
  const waiting: Awaited[] = [];
  let recheckAt: number | undefined;
  for (const rt of required) {
    if (isReady(rt, now)) continue;
    waiting.push({ task: rt.spec.name, ready: rt.running ? readyWorkers(rt, now) : 0, cardinality: rt.spec.cardinality });
    const at = nextReadyAt(rt, now);
    if (at !== undefined && (recheckAt === undefined || at < recheckAt)) recheckAt = at;
  }
  return { waiting, recheckAt };
}
