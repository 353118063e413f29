// The lease rules for jobs on remote launchers, pure so they are tested without
// clocks or processes: which leases have expired and what becomes of their jobs, and whether a
// heartbeat or a finish report still speaks for the job's current run. golang-job-runner
// waited 10 minutes on a silent runner; here a job is re-queued `lease_ttl` after the last word
// from its launcher, and a report that comes too late is kept as a note, never as a second end.
import { decideRecovery } from '../dispatch.js';

/** A running job held by a remote launcher, as the lease table sees it. */
export interface Lease {
  id: string;
  launcher: string;
  attempt: number;
  retries: number;
  /** Last heartbeat, or the claim (or the daemon's start, for a job leased before it). */
  lastBeatAt: number;
  /** A cancel was asked: an expiry ends it as cancelled instead of running it again. */
  cancelRequested: boolean;
  /**
   * The launcher has said a word about this job (a heartbeat, a report) since the claim. A lease
   * answer can be lost on a dead link (a waiting long-poll is answered into it): such a job never
   * started there, so its expiry does not count as an attempt (a job with no retries would
   * otherwise be `lost` without ever having run).
   */
  confirmed: boolean;
}

export type LeaseAction =
  | { kind: 'requeue'; id: string; attempt: number; reason: string }
  | { kind: 'end'; id: string; state: 'lost' | 'cancelled'; reason: string };

export interface ExpiryDecision {
  actions: LeaseAction[];
  /** When the next lease would expire if no heartbeat comes; null when none is held. */
  nextCheckAt: number | null;
}

export function decideLeaseExpiry(leases: Iterable<Lease>, now: number, ttlMs: number): ExpiryDecision {
  const actions: LeaseAction[] = [];
  let nextCheckAt: number | null = null;
  for (const l of leases) {
    const expiresAt = l.lastBeatAt + ttlMs;
    if (expiresAt > now) {
      nextCheckAt = nextCheckAt === null ? expiresAt : Math.min(nextCheckAt, expiresAt);
      continue;
    }
    const silent = `no heartbeat from launcher ${l.launcher} for ${Math.round((now - l.lastBeatAt) / 100) / 10} s (lease_ttl ${ttlMs / 1000} s)`;
    if (l.cancelRequested) {
      // The user's word stands: a cancelled job is not run again because its launcher went quiet.
      actions.push({ kind: 'end', id: l.id, state: 'cancelled', reason: `cancelled by request; ${silent}` });
      continue;
    }
    if (!l.confirmed) {
      actions.push({ kind: 'requeue', id: l.id, attempt: l.attempt, reason: `launcher ${l.launcher} never confirmed attempt ${l.attempt} within lease_ttl ${ttlMs / 1000} s; not counted as an attempt` });
      continue;
    }
    const d = decideRecovery(l.attempt, l.retries);
    if (d.kind === 'requeue') actions.push({ kind: 'requeue', id: l.id, attempt: d.attempt, reason: `attempt ${l.attempt}: ${silent}` });
    else actions.push({ kind: 'end', id: l.id, state: 'lost', reason: `attempt ${l.attempt}: ${silent}; no retries left` });
  }
  return { actions, nextCheckAt };
}

/** What the broker knows of a job when a launcher speaks for one of its runs. */
export interface JobView {
  state: string;
  launcher: string | null;
  attempt: number;
}

export type ReportVerdict =
  /** The report is about the job's current run. */
  | { kind: 'current' }
  /** The job has moved on (re-queued, run elsewhere, ended, purged): the report is late. */
  | { kind: 'late'; why: string };

/**
 * Does a heartbeat or finish from `launcher` about `attempt` speak for the job's current run?
 * Only while the job runs on that launcher in that attempt: a launcher that was cut off past its
 * lease may come back while the same job runs on another launcher, or on itself again as a
 * later attempt.
 */
export function judgeReport(job: JobView | undefined, launcher: string, attempt: number | undefined): ReportVerdict {
  if (!job) return { kind: 'late', why: 'the job no longer exists (purged)' };
  const sameRun = job.launcher === launcher && (attempt === undefined || attempt === job.attempt);
  if (job.state === 'running' && sameRun) return { kind: 'current' };
  const yours = attempt === undefined ? `launcher ${launcher}'s run` : `attempt ${attempt} on launcher ${launcher}`;
  if (job.state === 'pending') return { kind: 'late', why: `${yours} was given up: the job was re-queued (attempt ${job.attempt} waits to run)` };
  if (job.state === 'running') return { kind: 'late', why: `${yours} was given up: attempt ${job.attempt} runs on launcher ${job.launcher}` };
  if (sameRun) return { kind: 'late', why: `${yours} already ended as ${job.state}` };
  return { kind: 'late', why: `${yours} was given up: the job ended as ${job.state} (attempt ${job.attempt} on ${job.launcher ?? 'no launcher'})` };
}

/**
 * The longest timeout a job may have to be given now to a launcher that said, when its lease
 * request came in at `askedAt`, that it had `maxTimeoutS` seconds left (bl-launcher in an
 * allocation that ends). Counted on this host's clock from the request's arrival, so the two
 * hosts' clocks need not agree, and a job given at the end of a long-poll has the time that is
 * really left. Undefined: the launcher did not say (any job); never below 0 (only jobs with no
 * timeout fit then).
 */
export function maxTimeoutNow(maxTimeoutS: number | undefined, askedAt: number, now: number): number | undefined {
  if (maxTimeoutS === undefined) return undefined;
  return Math.max(0, maxTimeoutS - Math.max(0, now - askedAt) / 1000);
}

export type LauncherState = 'working' | 'exiting' | 'silent' | 'gone';

/** Slack over the heartbeat interval before a launcher is called silent (a beat on a busy link). */
export const SILENT_SLACK_MS = 1000;

/**
 * What the launcher list says of a launcher: `working` (or `exiting`) while it is heard from
 * within its heartbeat interval (a third of lease_ttl, as bl-launcher beats) or holds a waiting
 * lease request; `silent` past that; `gone` once a whole lease_ttl has passed without a word,
 * when its jobs have been re-queued. A launcher killed with -9 is not listed as working for the
 * ten minutes it stays on the list.
 */
export function launcherState(l: { lastSeenAt: number; waiting: boolean; exiting: boolean }, now: number, leaseTtlMs: number): { state: LauncherState; silentMs: number } {
  const silentMs = l.waiting ? 0 : Math.max(0, now - l.lastSeenAt);
  if (silentMs > leaseTtlMs) return { state: 'gone', silentMs };
  if (silentMs > leaseTtlMs / 3 + SILENT_SLACK_MS) return { state: 'silent', silentMs };
  return { state: l.exiting ? 'exiting' : 'working', silentMs };
}
