// When to ask Slurm for allocations, and when to stop asking: pure, so every rule is tested
// without Slurm, timers or processes. The I/O side (allocations.ts) feeds it what it saw
// (sbatch's answers, allocations that ended) and carries out what it says.
//
// Demand: jobs that could start now (pending, within the concurrency limit) beyond the slots
// that will take them anyway: free slots of connected launchers, and the slots of allocations
// still on their way (queued in Slurm, or started but their launcher not connected yet). Each
// allocation brings `slotsPerLauncher`; at most `maxPendingAllocations` wait in Slurm at once and
// `maxLaunchers` live in all (an allocation in its last end_margin no longer counts: its
// replacement may queue meanwhile).
//
// Failures, HyperQueue's rule: three sbatch failures in a row, or three pilots in a row that
// died at start, pause submission with the reason, until a resume (the route, a manual submit,
// a config reload). A failed sbatch is tried again no sooner than a poll interval later.

/** Failures in a row that pause submission. */
export const FAILURES_TO_PAUSE = 3;
/** A pilot that ends sooner than this after its start, with work pending and no job run, died at start. */
export const SHORT_LIFE_MS = 60_000;

export interface AllocLimits {
  slotsPerLauncher: number;
  maxLaunchers: number;
  maxPendingAllocations: number;
  pollIntervalMs: number;
}

/** The allocator's own allocations, counted. */
export interface AllocCounts {
  /** Queued in Slurm, not started. */
  pending: number;
  /** Pending or running (not ending, not ended). */
  alive: number;
  /** Slots of alive allocations whose launcher has not connected yet. */
  unconnectedSlots: number;
}

/** The broker's side: jobs waiting and the room they have. */
export interface Demand {
  pendingNormal: number;
  pendingUrgent: number;
  running: number;
  concurrency: number;
  urgentBypass: boolean;
  /** Free slots of the launchers connected now (the built-in one included). */
  freeSlots: number;
}

export interface RulesState {
  sbatchFailures: number;
  startFailures: number;
  /** Why submission is paused; null when it is not. */
  paused: string | null;
  /** No automatic sbatch before this time (ms): a failed one waits a poll interval. */
  retryAt: number;
}

export const initialRules = (): RulesState => ({ sbatchFailures: 0, startFailures: 0, paused: null, retryAt: 0 });

/** What the I/O side knows of an allocation that has just ended. */
export interface EndFacts {
  id: string;
  everConnected: boolean;
  /** From its start to its end; null when it never started. */
  ranMs: number | null;
  jobsRun: number;
  /** Jobs were waiting when it ended. */
  workPending: boolean;
  /** bl cancelled it (DELETE, shutdown): not its own doing. */
  cancelledByBl: boolean;
  /** How Slurm says it ended ("FAILED (NonZeroExitCode)", "time limit reached"…). */
  how: string;
}

export type RulesEvent =
  | { type: 'sbatch_ok' }
  | { type: 'sbatch_failed'; error: string }
  | { type: 'ended'; end: EndFacts }
  /** An allocation ran its first job: it is healthy whatever comes later. */
  | { type: 'first_job' }
  | { type: 'resume'; by: string };

export type RulesAction =
  | { type: 'failed'; kind: 'sbatch'; error: string; failures: number }
  | { type: 'failed'; kind: 'start'; id: string; reason: string; failures: number }
  | { type: 'paused'; reason: string }
  | { type: 'resumed'; by: string };

export interface RulesResult {
  state: RulesState;
  actions: RulesAction[];
}

/** Jobs that could start now if slots were there: pending ones the concurrency limit lets run. */
export function usableDemand(d: Demand): number {
  if (d.concurrency <= 0) return 0;
  const room = Math.max(0, d.concurrency - d.running);
  if (!d.urgentBypass) return Math.min(d.pendingNormal + d.pendingUrgent, room);
  // Urgent jobs start beside a full limit; normal ones get what room the urgent ones leave.
  return d.pendingUrgent + Math.min(d.pendingNormal, Math.max(0, room - d.pendingUrgent));
}

/** How many allocations to submit now. */
export function decideSubmit(s: RulesState, c: AllocCounts, d: Demand, l: AllocLimits, now: number): number {
  if (s.paused !== null || now < s.retryAt) return 0;
  const deficit = usableDemand(d) - d.freeSlots - c.unconnectedSlots;
  if (deficit <= 0) return 0;
  const wanted = Math.ceil(deficit / l.slotsPerLauncher);
  return Math.max(0, Math.min(wanted, l.maxPendingAllocations - c.pending, l.maxLaunchers - c.alive));
}

/** Whether an ended allocation died at start, and why (null: it did not). */
export function diedAtStart(f: EndFacts): string | null {
  if (f.cancelledByBl) return null;
  if (!f.everConnected) return `allocation ${f.id} ended without its launcher connecting: ${f.how}`;
  if (f.jobsRun === 0 && f.workPending && f.ranMs !== null && f.ranMs < SHORT_LIFE_MS) {
    return `allocation ${f.id} ended after ${Math.round(f.ranMs / 1000)} s with work pending and no job run: ${f.how}`;
  }
  return null;
}

export function reduceRules(s: RulesState, e: RulesEvent, now: number, pollIntervalMs: number): RulesResult {
  switch (e.type) {
    case 'sbatch_ok':
      return { state: { ...s, sbatchFailures: 0, retryAt: 0 }, actions: [] };
    case 'sbatch_failed': {
      const failures = s.sbatchFailures + 1;
      const state = { ...s, sbatchFailures: failures, retryAt: now + pollIntervalMs };
      const actions: RulesAction[] = [{ type: 'failed', kind: 'sbatch', error: e.error, failures }];
      return pauseAt(state, actions, failures, () => `sbatch failed ${failures} times in a row: ${e.error}`);
    }
    case 'ended': {
      if (e.end.cancelledByBl) return { state: s, actions: [] };
      const why = diedAtStart(e.end);
      if (why === null) return { state: { ...s, startFailures: 0 }, actions: [] };
      const failures = s.startFailures + 1;
      const actions: RulesAction[] = [{ type: 'failed', kind: 'start', id: e.end.id, reason: why, failures }];
      return pauseAt({ ...s, startFailures: failures }, actions, failures, () => `${failures} allocations in a row died at start; the last: ${why}`);
    }
    case 'first_job':
      return { state: s.startFailures === 0 ? s : { ...s, startFailures: 0 }, actions: [] };
    case 'resume':
      // Counting starts again from zero: whoever resumed expects a fresh try now.
      return s.paused === null ? { state: s, actions: [] } : { state: initialRules(), actions: [{ type: 'resumed', by: e.by }] };
  }
}

function pauseAt(s: RulesState, actions: RulesAction[], failures: number, reason: () => string): RulesResult {
  if (s.paused !== null || failures < FAILURES_TO_PAUSE) return { state: s, actions };
  const r = reason();
  return { state: { ...s, paused: r }, actions: [...actions, { type: 'paused', reason: r }] };
}
