// What a launcher (the daemon's built-in one, or bl-launcher) is given to run and what it
// reports back: the parts of a job that cross the launcher protocol.
import type { JobJson, UsageJson } from './types.js';

export interface IdleCpu {
  percent: number;
  seconds: number;
}

export interface HttpSpec {
  url: string;
  method: string;
  body: string | null;
  headers?: Record<string, string>;
  /**
   * Which redirects the launcher follows: absent, any (fetch's own following); 'none', none (a
   * 3xx is the answer); a list, only to URLs at or below one of these allowed_commands entries
   * (runner/url-rule.ts), checked at each hop by whichever launcher runs the job.
   */
  redirects?: 'none' | string[];
}

/**
 * A job's captured output when bl copies it (log_max_bytes, log_keep, log_timestamps): the job
 * writes into a pipe its spawn helper copies into the log, rotated at `maxBytes` (null: never)
 * into `<log>.1` … `<log>.<keep>`, each line stamped with its time with `timestamps`. Absent
 * (null): the job writes its log file itself.
 */
export interface LogOutput {
  maxBytes: number | null;
  keep: number;
  timestamps: boolean;
}

/** A leased job's LogOutput from its JSON (a daemon that knows no log fields sends none: null). */
export function logOutputOf(j: Pick<JobJson, 'log_max_bytes' | 'log_keep' | 'log_timestamps'>): LogOutput | null {
  const maxBytes = j.log_max_bytes ?? null;
  const timestamps = j.log_timestamps === true;
  return maxBytes === null && !timestamps ? null : { maxBytes, keep: j.log_keep ?? 3, timestamps };
}

/** How a job's log is copied (log_max_bytes, log_keep, log_timestamps), for its detail. */
export function logOutputText(o: LogOutput): string {
  const rotation = o.maxBytes === null ? 'not rotated' : `rotated at ${o.maxBytes} bytes, ${o.keep} kept`;
  return o.timestamps ? `${rotation}, lines timestamped` : rotation;
}

/** An http job's verdict: no process, no exit code, the answer's status decides. */
export type HttpOutcome = 'succeeded' | 'failed';

/**
 * exited: on its own; the others: we killed it for that reason (http jobs: the verdict).
 * drained: its launcher was stopped (the same attempt runs again, first in line); evicted: its
 * launcher's allocation (a Slurm job) ends (the next attempt runs first in line, whatever the
 * job's retries: the job did nothing wrong). orphaned: the spawn helper that started it died,
 * so its exit could never be known; its processes were stopped and the next attempt runs
 * first in line, a bounded number of times beyond its retries (dispatch.ts ORPHAN_RERUNS).
 */
export const OUTCOMES = ['exited', 'timed_out', 'dead', 'oom', 'cancelled', 'drained', 'evicted', 'orphaned', 'spawn_error', 'lost', 'succeeded', 'failed'] as const satisfies readonly (string | HttpOutcome)[];

/** Why a launcher killed a run; the first kill's outcome is the run's. */
export type KillOutcome = 'timed_out' | 'dead' | 'cancelled' | 'drained' | 'evicted' | 'orphaned' | 'lost';

/** How a run ended, as the launcher saw it. */
export interface RunResult {
  outcome: (typeof OUTCOMES)[number];
  exitCode: number | null;
  signal: string | null;
  usage: UsageJson | null;
  reason: string | null;
  /**
   * When its process was reaped (ms since the epoch, the spawn helper's clock), if it had one:
   * its finished_at, which the report reaches the caller a moment after.
   */
  exitedAt?: number;
}
