// The broker's own view of a job: JobJson's fields with times in ms and the process identity
// (pgid, start time) that crash recovery needs to kill a left-over job without ever hitting a
// recycled pid.
import type { JobState, UsageJson } from '../contract/types.js';

export type Queue = 'normal' | 'urgent';

export interface IdleCpu {
  percent: number;
  seconds: number;
}

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
  /** An http job (issue 5, http-job.ts): fetched by the launcher instead of a command. */
  http?: HttpSpec | null;
  /** A sweep's combination (sweep.ts). */
  params?: Record<string, unknown> | null;
  /** sha256 of the command template and the combination: a succeeded one is skipped unless `force`. */
  sweepKey?: string | null;
  force?: boolean;
}

export interface HttpSpec {
  url: string;
  method: string;
  body: string | null;
  headers?: Record<string, string>;
}

export interface JobRecord extends NewJob {
  id: string;
  http: HttpSpec | null;
  params: Record<string, unknown> | null;
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

/** An http job's verdict: no process, no exit code, the answer's status decides. */
export type HttpOutcome = 'succeeded' | 'failed';

/** exited: on its own; the others: we killed it for that reason (http jobs: the verdict). */
export const OUTCOMES = ['exited', 'timed_out', 'dead', 'cancelled', 'drained', 'spawn_error', 'lost', 'succeeded', 'failed'] as const satisfies readonly (string | HttpOutcome)[];

/** How a run ended, as the launcher saw it. */
export interface RunResult {
  outcome: (typeof OUTCOMES)[number];
  exitCode: number | null;
  signal: string | null;
  usage: UsageJson | null;
  reason: string | null;
  /**
   * When its process was reaped (ms since the epoch; the spawner's report, else the daemon's
   * clock at the report), if it had one: its finished_at. The end is written a moment later;
   * a standby job may start in that moment and must not seem to start first.
   */
  exitedAt?: number;
}

export const LOCAL_LAUNCHER = 'local';
