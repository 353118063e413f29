// Which jobs to start now: a pure function of the broker's state, so every rule (urgent
// first, one limit across all launchers, urgent bypass, 0 = paused, local slots) is tested
// without processes or clocks. The I/O side claims that many jobs from the store.
import type { RunResult } from '../../contract/run.js';

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

/** What to do with a job whose run ended. */
export type EndDecision = { kind: 'end'; state: EndState } | { kind: 'retry'; attempt: number };
export type EndState = 'succeeded' | 'failed' | 'timed_out' | 'dead' | 'cancelled' | 'lost';

export function decideEnd(
  outcome: Exclude<RunResult['outcome'], 'drained'>,
  exitCode: number | null,
  attempt: number,
  retries: number,
): EndDecision {
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

/**
 * Standby (pipelining): pending jobs the built-in launcher's helpers hold, each started the
 * moment a job of theirs exits, with no round trip through the daemon. While every slot is
 * taken, one to two jobs a running local job are held (topped up to two when fewer than one
 * are left); a free slot starts held jobs (`go`) before any
 * claim; an urgent job waiting sends held normal ones back, as does anything that makes a
 * hold wrong (pause, a lower limit, shutdown, a remote launcher asking for work). While held
 * jobs are on their way back nothing is claimed or held anew: jobs behind them in the queue
 * must not overtake them.
 */
export interface HoldState {
  /** Holding makes sense now: a spawner that holds, not draining or paused, no remote launcher busy. */
  allowed: boolean;
  /** More jobs run than the limit (or the local slot count) allows: an exit must free a slot. */
  overLimit: boolean;
  /** Urgent jobs start beyond the limit: a held urgent one must not wait for an exit. */
  urgentBypass: boolean;
  /** Slots free under the limit and the local slot count. */
  freeSlots: number;
  /** Local runs whose leader lives (or is starting): one that exited frees its slot. */
  runningLocal: number;
  /** Slots the limit and the local slot count allow (min of the two). */
  slots: number;
  /** Held jobs (not on their way back), by queue. */
  heldUrgent: number;
  heldNormal: number;
  /** Held jobs on their way back. */
  leaving: number;
  /** Pending jobs nobody holds. */
  freeUrgent: number;
  freeNormal: number;
}

export interface HoldDecision {
  /** Send back every held job, or the normal ones (an urgent job waits), or none. */
  withdraw: 'all' | 'normal' | 'none';
  /** Of the held jobs kept, the oldest this many start now, in free slots. */
  go: number;
  /** Then, of the held jobs kept, the newest this many go back. */
  withdrawNewest: number;
  /** Whether this round claims (decideDispatch, in the slots `go` left). */
  claim: boolean;
  /** Jobs to hold from the head of the queue after this round's claims. */
  reserve: number;
}

/** `claims(free)`: what decideDispatch would claim with `free` slots. */
export function decideHold(s: HoldState, claims: (freeSlots: number) => DispatchDecision): HoldDecision {
  const held = s.heldUrgent + s.heldNormal;
  const quiet: HoldDecision = { withdraw: 'none', go: 0, withdrawNewest: 0, claim: s.leaving === 0, reserve: 0 };
  if (!s.allowed || s.overLimit || (s.urgentBypass && s.heldUrgent > 0)) return held > 0 ? { ...quiet, withdraw: 'all', claim: false } : quiet;
  if (s.freeUrgent > 0 && s.heldNormal > 0) return { ...quiet, withdraw: 'normal', go: Math.min(s.freeSlots, s.heldUrgent), claim: false };
  const go = Math.min(s.freeSlots, held);
  if (s.leaving > 0) return { ...quiet, go, claim: false };
  const c = claims(s.freeSlots - go);
  const claimed = c.claimAny;
  const kept = held - go;
  // Slots still free after the claims: the queue is empty (held jobs aside), nothing to hold.
  // An urgent job beyond the limit: its exit frees no slot, so none may be held to take it.
  const full = s.freeSlots - go - claimed <= 0 && c.claimUrgentBeyond === 0;
  const want = full ? s.runningLocal + go + claimed : 0;
  // Topped up to twice that when it falls below: one reserve (and one message to the helper)
  // every `want` exits or so, rather than one an exit. Given back beyond two a slot only: the
  // live count dips while exits reported together are written one by one.
  const top = kept < want ? 2 * want - kept : 0;
  return {
    withdraw: 'none',
    go,
    withdrawNewest: Math.max(0, kept - 2 * s.slots),
    claim: true,
    reserve: Math.max(0, Math.min(top, s.freeUrgent + s.freeNormal - claimed)),
  };
}
