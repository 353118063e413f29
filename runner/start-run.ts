// The one entry point a launcher calls to run a claimed job, whatever its kind: a command
// (runJob, a process tree) or an http job (a request). Both give the same handle, so the
// built-in launcher and bl-launcher hold, kill and await every run alike. A sweep job's
// BL_OUTPUT_DIR is made here, on the host that runs it, just before it starts.
import { mkdirSync } from 'node:fs';
import type { UsageJson } from '../contract/types.js';
import { runHttpJob } from './http-job.js';
import { attemptHeader, runJob, type JobSpec, type JobRunOptions } from './job-process.js';
import type { HttpSpec, KillOutcome, RunResult } from '../contract/run.js';

/** A running job as its launcher sees it (JobRun has this shape). */
export interface Run {
  readonly done: Promise<RunResult>;
  readonly pid: number | undefined;
  readonly usage: UsageJson | null;
  kill(outcome: KillOutcome, reason: string): void;
  /** Skip what is left of a kill's grace period. */
  hurry(): void;
  /** Lets it run on unobserved, left to its keeper (JobRun); false (or absent): it cannot be. */
  release?(): boolean;
}

export type RunnableJob = JobSpec & { http?: HttpSpec | null };

export function startRun(job: RunnableJob, opts: JobRunOptions): Run {
  if (job.http) return new HttpJobRun(job, job.http, opts.logPath);
  const out = job.env.BL_OUTPUT_DIR;
  if (out !== undefined) {
    // Sync: a sweep job's one mkdir costs microseconds, and the run must not start before it.
    try {
      mkdirSync(out, { recursive: true });
    } catch (e) {
      return endedRun({ outcome: 'spawn_error', exitCode: null, signal: null, usage: null, reason: `cannot create BL_OUTPUT_DIR ${out}: ${(e as Error).message}` });
    }
  }
  return runJob(job, opts);
}

function endedRun(result: RunResult): Run {
  return { done: Promise.resolve(result), pid: undefined, usage: null, kill: () => undefined, hurry: () => undefined };
}

/** An http job's run: the walltime, a cancel and a shutdown abort the request. */
export class HttpJobRun implements Run {
  readonly done: Promise<RunResult>;
  readonly pid = undefined;
  readonly usage = null;
  private readonly abort = new AbortController();
  private killed: { outcome: KillOutcome; reason: string } | undefined;

  constructor(spec: JobSpec, http: HttpSpec, logPath: string) {
    const timer = spec.timeout ? setTimeout(() => this.kill('timed_out', `walltime of ${spec.timeout} s exceeded`), spec.timeout * 1000) : undefined;
    this.done = runHttpJob(http, logPath, this.abort.signal, attemptHeader(spec.attempt)).then(
      (v): RunResult => ({ outcome: v.outcome, exitCode: null, signal: null, usage: null, reason: v.reason }),
      (e: unknown): RunResult => {
        const k = this.killed;
        if (k) return { outcome: k.outcome, exitCode: null, signal: null, usage: null, reason: k.reason };
        // Not ours (the log file could not be opened): the job failed to start.
        return { outcome: 'spawn_error', exitCode: null, signal: null, usage: null, reason: (e as Error).message };
      },
    ).finally(() => clearTimeout(timer));
  }

  /** The first kill's outcome wins, as for a process. */
  kill(outcome: KillOutcome, reason: string): void {
    if (this.killed) return;
    this.killed = { outcome, reason };
    this.abort.abort(new Error(reason));
  }

  /** An aborted request ends at once; there is no grace period to skip. */
  hurry(): void {}
}
