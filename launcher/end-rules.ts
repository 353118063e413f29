// bl-launcher's rules against the clock, pure (times are ms since the epoch, passed in): when an
// allocation's launcher stops leasing and evicts its jobs, what a lease request may ask for
// meanwhile, whether a job that arrived still fits, when an idle launcher exits, and which run
// ends may be the allocation's end reaching a job before this launcher's own signal.
import type { RunResult } from '../contract/run.js';

export interface EndClock {
  /** The allocation's end; null: none known (no allocation, or Slurm did not say). */
  endAt: number | null;
  /** --end-margin: leasing stops, and running jobs are evicted, this long before endAt. */
  marginMs: number;
}

/**
 * A lease answer travels back after the daemon measured the time left: the launcher asks for
 * jobs that end this much before its stop, so one given at the last moment still fits here.
 */
export const LEASE_ROUND_TRIP_S = 1;

/** When leasing stops and running jobs are evicted; null when no end is known. */
export function stopAt(c: EndClock): number | null {
  return c.endAt === null ? null : c.endAt - c.marginMs;
}

export interface LeaseTerms {
  /** How long the daemon may hold the request: up to the stop, never past it. */
  waitS: number;
  /** The longest job timeout to be given (the lease body's max_timeout_s); undefined: any. */
  maxTimeoutS: number | undefined;
}

/** What a lease request sent now asks for; null once the stop has come (no more leases). */
export function leaseTerms(c: EndClock, now: number, maxWaitS: number): LeaseTerms | null {
  const stop = stopAt(c);
  if (stop === null) return { waitS: maxWaitS, maxTimeoutS: undefined };
  const left = stop - now;
  if (left <= 0) return null;
  return {
    // At least a second: a wait of 0 would turn the last moments into a busy loop of requests.
    waitS: Math.min(maxWaitS, Math.max(1, Math.ceil(left / 1000))),
    maxTimeoutS: Math.max(0, Math.floor(left / 1000) - LEASE_ROUND_TRIP_S),
  };
}

/**
 * Whether a job just leased may start now: its timeout (seconds) must end by the stop. A job with
 * no timeout starts whenever the launcher still leases (its length is unknown; it is evicted if
 * it still runs at the stop).
 */
export function fitsTimeLeft(timeoutS: number | null, c: EndClock, now: number): boolean {
  const stop = stopAt(c);
  if (stop === null) return true;
  if (now >= stop) return false;
  return timeoutS === null || timeoutS <= 0 || timeoutS * 1000 <= stop - now;
}

/** --idle-exit: when a launcher idle since `idleSince` exits, if nothing comes meanwhile. */
export function idleExitAt(idleSince: number, idleExitMs: number): number {
  return idleSince + idleExitMs;
}

/**
 * Slurm signals every process of an allocation at once (scancel, the time limit): a job may die
 * of that SIGTERM before this launcher has handled its own. Such an end is held this long for
 * the launcher's signal; if it comes, the run was evicted, else the job's end is its own.
 */
export const ALLOCATION_SIGNAL_WAIT_MS = 2000;

/** A run end that may be the allocation's end reaching the job first (see above). */
export function mayBeAllocationEnd(r: RunResult, inAllocation: boolean): boolean {
  return inAllocation && r.outcome === 'exited' && r.signal === 'SIGTERM';
}
