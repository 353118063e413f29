// The reads and writes that apply the dependency rules (dependencies.ts) to a store, written
// once for both stores: each walk is a generator that yields what it needs to read or change
// and takes the answer back. The embedded store answers in place (`drive`), the PostgreSQL
// store with a statement each (`driveAsync`); both run a walk inside their own transaction.
import { BlError, describe } from '../../contract/errors.js';
import type { JobState } from '../../contract/types.js';
import type { JobRecord } from './types.js';
import { decideWaiter, isSweepId, type DependencyStatus } from './dependencies.js';

/** What a walk asks of its store; the comment of each says what the answer is. */
export type WalkStep =
  /** → string[]: the jobs still waiting on `dep` (a job or a sweep id). */
  | { op: 'waitersOf'; dep: string }
  /** → boolean: some job of the sweep has not ended. */
  | { op: 'sweepOpen'; sweep: string }
  /** → { id, state } | undefined: a job of the sweep that ended otherwise than succeeded. */
  | { op: 'sweepFailed'; sweep: string }
  /** → JobBrief | undefined. */
  | { op: 'job'; id: string }
  /** → number: the dependencies job `id` still waits on. */
  | { op: 'openDeps'; id: string }
  /** → nothing: `id` no longer waits on `dep`. */
  | { op: 'dropDep'; dep: string; id: string }
  /** → nothing: `id` waits on nothing more. */
  | { op: 'dropDepsOf'; id: string }
  /** → JobRecord: the waiting job `id`, pending now. */
  | { op: 'release'; id: string }
  /** → JobRecord: the waiting job `id`, cancelled now for `reason`. */
  | { op: 'cancel'; id: string; reason: string; now: number }
  /** → nothing: keep it for takeSettled (its event is published after the commit). */
  | { op: 'settled'; job: JobRecord; released: boolean };

/** What a walk reads of one job. */
export interface JobBrief {
  phase: number;
  state: JobState;
  afterAny: boolean;
}

type Walk<R> = Generator<WalkStep, R, unknown>;

function* ask<T>(step: WalkStep): Walk<T> {
  return (yield step) as T;
}

/** Where dependency `dep` stands now; a job id that names no job is refused. */
export function* dependencyStatus(dep: string): Walk<DependencyStatus> {
  if (isSweepId(dep)) {
    const failed = yield* ask<{ id: string; state: JobState } | undefined>({ op: 'sweepFailed', sweep: dep });
    const open = yield* ask<boolean>({ op: 'sweepOpen', sweep: dep });
    return { dep, open, ...(failed ? { failed: { job: failed.id, state: failed.state } } : {}) };
  }
  const j = yield* ask<JobBrief | undefined>({ op: 'job', id: dep });
  if (!j) throw new BlError('bad_value', `expected \`after\` to name submitted jobs, found ${describe(dep)} (no such job)`);
  if (j.phase !== 2) return { dep, open: true };
  return j.state === 'succeeded' ? { dep, open: false } : { dep, open: false, failed: { job: dep, state: j.state } };
}

/**
 * `ended` has just ended: the jobs waiting on it, or on its sweep, are released, cancelled
 * (then theirs in turn) or keep waiting, as decideWaiter says.
 */
export function* settleWaiters(ended: JobRecord, now: number): Walk<void> {
  const todo = [ended];
  for (let x = todo.shift(); x; x = todo.shift()) {
    for (const dep of x.sweep ? [x.id, x.sweep] : [x.id]) {
      const waiters = yield* ask<string[]>({ op: 'waitersOf', dep });
      if (waiters.length === 0) continue;
      const depStillOpen = dep !== x.id && (yield* ask<boolean>({ op: 'sweepOpen', sweep: dep }));
      for (const w of waiters) {
        const row = yield* ask<JobBrief | undefined>({ op: 'job', id: w });
        if (!row || row.phase !== 3) {
          yield* ask({ op: 'dropDep', dep, id: w });
          continue;
        }
        const openDeps = yield* ask<number>({ op: 'openDeps', id: w });
        const a = decideWaiter(row.afterAny, openDeps, { dep, job: x.id, state: x.state, depStillOpen });
        if (a.kind === 'wait') {
          if (a.resolved) yield* ask({ op: 'dropDep', dep, id: w });
          continue;
        }
        yield* ask({ op: 'dropDepsOf', id: w });
        const job = yield* ask<JobRecord>(a.kind === 'release' ? { op: 'release', id: w } : { op: 'cancel', id: w, reason: a.reason, now });
        yield* ask({ op: 'settled', job, released: a.kind === 'release' });
        if (a.kind === 'cancel') todo.push(job);
      }
    }
  }
}

/** Runs a walk against a store that answers in place. */
export function drive<R>(walk: Walk<R>, answer: (s: WalkStep) => unknown): R {
  let r = walk.next();
  while (!r.done) r = walk.next(answer(r.value));
  return r.value;
}

/** Runs a walk against a store whose answers take a round trip. */
export async function driveAsync<R>(walk: Walk<R>, answer: (s: WalkStep) => Promise<unknown>): Promise<R> {
  let r = walk.next();
  while (!r.done) r = walk.next(await answer(r.value));
  return r.value;
}
