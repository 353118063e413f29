// When a job submitted with `after` may run: pure rules over what the store knows of what it
// waits on. A dependency is a job or a whole sweep (every combination of one submit). Without
// `after_any` a waiting job runs once each dependency has succeeded (a sweep: all of its jobs)
// and is cancelled as soon as one ends otherwise, naming that job; with `after_any` it runs
// once each has ended, however. The store keeps only the dependencies still open, so each end
// is decided from the ended job and a count, never by reading the rest again.
import type { JobState } from '../../contract/types.js';

/**
 * A dependency as the store sees it at a submit. `open`: not ended (a sweep: some job of it
 * not ended); `failed`: it (or a job of its sweep) ended otherwise than succeeded.
 */
export interface DependencyStatus {
  dep: string;
  open: boolean;
  failed?: { job: string; state: JobState };
}

export type SubmitWait =
  | { kind: 'pending' }
  | { kind: 'waiting'; open: string[] }
  | { kind: 'cancelled'; reason: string };

export const isSweepId = (id: string): boolean => id.startsWith('sweep-');

/** Why a waiting job was cancelled: the job it waited on, and how that one ended. */
export function dependencyFailedReason(dep: string, job: string, state: JobState): string {
  const what = dep === job ? `job ${job}` : `job ${job} of sweep ${dep}`;
  return `waited on ${what}, which ended ${state}`;
}

/** A submitted job's state from its dependencies' statuses at the submit. */
export function decideAtSubmit(afterAny: boolean, deps: DependencyStatus[]): SubmitWait {
  if (!afterAny) {
    const f = deps.find((d) => d.failed);
    if (f) return { kind: 'cancelled', reason: dependencyFailedReason(f.dep, f.failed!.job, f.failed!.state) };
  }
  const open = deps.filter((d) => d.open).map((d) => d.dep);
  return open.length ? { kind: 'waiting', open } : { kind: 'pending' };
}

/** A job ended that a waiting job depends on (directly, or as one of a sweep it waits on). */
export interface DependencyEnd {
  /** The dependency: the job's id, or its sweep's id. */
  dep: string;
  job: string;
  state: JobState;
  /** A sweep dependency that still has jobs not ended. */
  depStillOpen: boolean;
}

export type WaiterAction =
  | { kind: 'release' }
  | { kind: 'cancel'; reason: string }
  /** `resolved`: this dependency is done with (the store forgets it); the job waits on others. */
  | { kind: 'wait'; resolved: boolean };

/** `openDeps`: the waiting job's dependencies still open, this one included. */
export function decideWaiter(afterAny: boolean, openDeps: number, e: DependencyEnd): WaiterAction {
  if (e.state !== 'succeeded' && !afterAny) return { kind: 'cancel', reason: dependencyFailedReason(e.dep, e.job, e.state) };
  if (e.depStillOpen) return { kind: 'wait', resolved: false };
  return openDeps <= 1 ? { kind: 'release' } : { kind: 'wait', resolved: true };
}
