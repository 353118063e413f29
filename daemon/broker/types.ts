// The broker's own view of a job: JobJson's fields with times in ms and the process identity
// (pgid, start time) that crash recovery needs to kill a left-over job without ever hitting a
// recycled pid.
import type { JobState, UsageJson } from '../../contract/types.js';
import type { HttpSpec, IdleCpu, LogOutput } from '../../contract/run.js';
import type { Limits } from '../../contract/limits.js';

export type Queue = 'normal' | 'urgent';

/** What a submit asks for, validated (see submit-parse.ts). */
export interface NewJob {
  command: string | null;
  argv: string[] | null;
  cwd: string;
  env: Record<string, string>;
  queue: Queue;
  /** Walltime in seconds; null = none. */
  timeout: number | null;
  idleCpu: IdleCpu | null;
  retries: number;
  key: string | null;
  labels: Record<string, string>;
  /** An http job (runner/http-job.ts): a request the launcher makes instead of a command. */
  http?: HttpSpec | null;
  /** Its URL as submitted, when parsing changed it: allowed_commands judges what was written. Not stored. */
  submittedUrl?: string;
  /** A sweep's combination (sweep.ts). */
  params?: Record<string, unknown> | null;
  /** sha256 of the command template and the combination: a succeeded one is skipped unless `force`. */
  sweepKey?: string | null;
  force?: boolean;
  /** The sweep (one submit's combinations) this job belongs to: `sweep-<ULID>`. */
  sweep?: string | null;
  /**
   * What it waits on: as submitted, job ids, idempotency keys or sweep ids; as stored, the job
   * ids and sweep ids they named (the broker resolves them before the store sees them).
   */
  after?: string[];
  /** Released when each of `after` has ended however it ended, not only on success. */
  afterAny?: boolean;
  /** memory_max, cpu_max, pids_max (normal form), enforced through the job's cgroup. */
  limits?: Limits | null;
  /** Its output copied by its spawn helper, rotated and stamped (log_max_bytes, log_keep, log_timestamps); null: written by the job. */
  logOutput?: LogOutput | null;
}


export interface JobRecord extends NewJob {
  id: string;
  limits: Limits | null;
  http: HttpSpec | null;
  params: Record<string, unknown> | null;
  sweep: string | null;
  after: string[];
  afterAny: boolean;
  logOutput: LogOutput | null;
  state: JobState;
  attempt: number;
  launcher: string | null;
  host: string | null;
  pid: number | null;
  pgid: number | null;
  /** /proc/<pid>/stat start time (clock ticks since boot) of `pid`. */
  procStart: number | null;
  submittedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  usage: UsageJson | null;
  reason: string | null;
}

export const LOCAL_LAUNCHER = 'local';
