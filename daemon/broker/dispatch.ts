// Which jobs to start now: a pure function of the broker's state, so every rule (urgent
// first, one limit across all launchers, urgent bypass, 0 = paused, local slots) is tested
// without processes or clocks. The I/O side claims that many jobs from the store.
import type { RunResult } from '../../contract/run.js';
import type { EndState } from '../../contract/types.js';

export interface DispatchState {
  /** The limit across all launchers; 0 pauses dispatch. */
  concurrency: number;
  urgentBypass: boolean;
  /** Jobs the built-in launcher may run at once; undefined = all of `concurrency`. */
  localSlots: number | undefined;
  /** Running jobs on every launcher. */
  running: number;
  /** Running jobs on the built-in launcher. */
  runningLocal: number;
  pendingUrgent: number;
  pendingNormal: number;
  /** Draining for shutdown: nothing starts. */
  draining: boolean;
}

export interface DispatchDecision {
  /** Claims from the head, urgent queue first, within the limit. */
  claimAny: number;
  /** Further claims from the urgent queue only, beyond the limit (urgent bypass). */
  claimUrgentBeyond: number;
}

export function decideDispatch(s: DispatchState): DispatchDecision {
  const none = { claimAny: 0, claimUrgentBeyond: 0 };
  // 0 is an explicit pause (BrokeredLauncher's decrease to zero), so it wins over the bypass.
  if (s.draining || s.concurrency <= 0) return none;
  const localCap = s.localSlots ?? Infinity;
  const localFree = Math.max(0, localCap - s.runningLocal);
  const limitFree = Math.max(0, s.concurrency - s.running);
  const pending = s.pendingUrgent + s.pendingNormal;
  const claimAny = Math.min(limitFree, localFree, pending);
  if (!s.urgentBypass) return { claimAny, claimUrgentBeyond: 0 };
  const urgentLeft = Math.max(0, s.pendingUrgent - claimAny);
  // Beyond the limit, but a launcher's own slot count still holds (local_slots set).
  const claimUrgentBeyond = Math.min(urgentLeft, localFree - claimAny);
  return { claimAny, claimUrgentBeyond };
}

/**
 * Claims what a decision allows, in its order: `claimOne` claims (and hands over) one job
 * and says whether there was one; the first empty queue ends that part.
 */
export function forEachClaim(d: DispatchDecision, claimOne: (urgentOnly: boolean) => boolean): void {
  for (let i = 0; i < d.claimAny; i++) if (!claimOne(false)) break;
  for (let i = 0; i < d.claimUrgentBeyond; i++) if (!claimOne(true)) break;
}

/**
 * What to do with a job whose run ended: end it, retry it at the tail of its queue, or put it
 * back at the head (`again`) with this attempt number.
 */
export type EndDecision = { kind: 'end'; state: EndState; why?: string } | { kind: 'retry'; attempt: number } | { kind: 'again'; attempt: number };

/**
 * Runs a job may have beyond its retries when the spawn helper running it dies: a helper's death
 * is not the job's doing, but a job that kills its helper itself must not run for ever.
 */
export const ORPHAN_RERUNS = 2;

export function decideEnd(outcome: RunResult['outcome'], exitCode: number | null, attempt: number, retries: number): EndDecision {
  // Stopped for the launcher's sake, not the job's: first in line again, whatever its retries.
  // A drained run (the launcher or daemon was stopped) did not count; an evicted one did run,
  // and its attempt number says so.
  if (outcome === 'drained') return { kind: 'again', attempt };
  if (outcome === 'evicted') return { kind: 'again', attempt: attempt + 1 };
  if (outcome === 'orphaned') {
    if (attempt <= retries + ORPHAN_RERUNS) return { kind: 'again', attempt: attempt + 1 };
    return { kind: 'end', state: 'lost', why: `no run left after attempt ${attempt} (retries ${retries}, and ${ORPHAN_RERUNS} more when a spawn helper dies)` };
  }
  let state: EndState;
  if (outcome === 'exited') state = exitCode === 0 ? 'succeeded' : 'failed';
  // 'succeeded'/'failed': an http job's verdict, from the answer's status (http-job.ts).
  else if (outcome === 'spawn_error') state = 'failed';
  else state = outcome;
  // A cancel is the user's word; success needs no retry; everything else may try again.
  if (state !== 'succeeded' && state !== 'cancelled' && attempt <= retries) return { kind: 'retry', attempt: attempt + 1 };
  return { kind: 'end', state };
}

/** A job found `running` on the built-in launcher after a crash of the daemon. */
export function decideRecovery(attempt: number, retries: number): { kind: 'requeue'; attempt: number } | { kind: 'lost' } {
  return attempt <= retries ? { kind: 'requeue', attempt: attempt + 1 } : { kind: 'lost' };
}
