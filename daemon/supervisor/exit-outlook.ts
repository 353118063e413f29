// What follows a worker's exit or a failed spawn, read from the task's state once the reducer
// has decided: restarted at once, after a backoff, held back by flapping, or not at all. Goes
// into the worker.exited and worker.spawn_failed events so the log (and any subscriber) can
// say "restarting in 400 ms" without knowing the rules.
import { liveWorkers, type TaskView } from './decide.js';

export interface ExitOutlook {
  next: 'restart' | 'backoff' | 'flapping' | 'stopped' | 'none';
  /** When the next start may come (backoff, flapping); null otherwise. */
  next_start_at: string | null;
  delay_ms: number | null;
  /** Quick deaths (and failed spawns) in a row. */
  failures: number;
}

export function exitOutlook(rt: TaskView, now: number): ExitOutlook {
  const base = { next_start_at: null, delay_ms: null, failures: rt.failures };
  if (!rt.running) return { ...base, next: 'stopped' };
  const short = liveWorkers(rt).length + rt.spawning < rt.spec.cardinality;
  if (short && rt.nextStartAt > now) {
    return {
      next: rt.flapping ? 'flapping' : 'backoff',
      next_start_at: new Date(rt.nextStartAt).toISOString(),
      delay_ms: rt.nextStartAt - now,
      failures: rt.failures,
    };
  }
  // A spawn under way, or one the next decision makes (a probe of the backoff running).
  if (rt.spawning > 0 || short) return { ...base, next: 'restart' };
  return { ...base, next: 'none' };
}
