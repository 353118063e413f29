// The daemon's built-in launcher: runs claimed jobs here, one JobRun each, and reports how
// each ended. It holds only running jobs; the queue stays in the store.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { UsageJson } from '../../contract/types.js';
import { runJob, type JobRun, type KillOutcome, type RunOptions } from '../../runner/job-process.js';
import { startRun, type Run } from '../../runner/start-run.js';
import type { JobRecord } from './types.js';
import type { RunResult } from '../../contract/run.js';
import type { Spawner } from '../../runner/spawner.js';
import { UsageSampler } from '../../runner/usage-sampler.js';

export interface LauncherHooks {
  /** `null`: an http job, which has no process (its start is still an event: metrics, dashboard). */
  onStarted(id: string, p: { pid: number; pgid: number } | null): void;
  onIdentified(id: string, p: { pid: number; pgid: number; procStart: number }): void;
  onEnded(job: JobRecord, result: RunResult): void;
  /**
   * A held job has started in a freed slot: claim it (`claimed`: go() did). A kill's outcome
   * when it is not wanted; with `report: false` its end is not the caller's (it is not running
   * in the store: cancelled or purged meanwhile).
   */
  onBegun(job: JobRecord, claimed: boolean): { outcome: KillOutcome; reason: string; report: boolean } | null;
  /** A held job was given back, never started. */
  onWithdrawn(id: string): void;
}

interface Held {
  job: JobRecord;
  run: JobRun;
  /** Claimed by go(): its start is only a matter of the helper's report. */
  claimed: boolean;
  /** Withdraw sent: on its way back. */
  leaving: boolean;
}

export function jobLogPath(stateDir: string, id: string): string {
  return path.join(stateDir, 'jobs', `${id}.log`);
}

export class LocalLauncher {
  private readonly runs = new Map<string, Run>();
  /** Standby: pending jobs a helper holds, to start the moment a job of its exits (in hold order). */
  private readonly held = new Map<string, Held>();
  /** Runs whose leader has exited and whose end is not reported yet (see `ending`). */
  private readonly exited = new Set<string>();
  /** Held jobs sent back since start (a diagnostic: holds churn when they come back often). */
  returned = 0;
  private waiters: (() => void)[] = [];
  private readonly sampler = new UsageSampler();

  constructor(
    private readonly stateDir: string,
    private readonly graceMs: number,
    private readonly spawner: Spawner,
    private readonly hooks: LauncherHooks,
  ) {
    mkdirSync(path.join(stateDir, 'jobs'), { recursive: true });
  }

  get size(): number {
    return this.runs.size;
  }

  /**
   * Of `size`, runs whose leader has exited, their end not reported yet. A helper reports a
   * wave of exits in one message, each with the start of a held job in its place; the starts
   * are claimed before the ends are written (those wait for a promise), so for a moment the
   * store counts both, and only this tells that apart from a limit lowered under running jobs.
   */
  get ending(): number {
    return this.exited.size;
  }

  /** What only memory knows of a running job: its usage, and its pid before it is written. */
  live(id: string): { usage: UsageJson | null; pid: number | null } | undefined {
    const r = this.runs.get(id);
    return r && { usage: r.usage, pid: r.pid ?? null };
  }

  run(job: JobRecord): void {
    // startRun: a command through runJob, or an http job (issue 5).
    const r = startRun(job, this.runOptions(job));
    if (job.http) this.hooks.onStarted(job.id, null);
    this.track(job, r);
  }

  /** Whether hold() can be used: the spawner keeps standby jobs (its helpers do). */
  get canHold(): boolean {
    return this.spawner.holds === true;
  }

  /**
   * Held jobs in hold order; `leaving`: on their way back. Not those go() claimed: they are
   * running to the store and take a slot here (`starting`), only their pid is to come.
   */
  heldJobs(): { job: JobRecord; leaving: boolean }[] {
    const out = [];
    for (const h of this.held.values()) if (!h.claimed) out.push({ job: h.job, leaving: h.leaving });
    return out;
  }

  /** Held jobs go() claimed, their start not reported yet. */
  get starting(): number {
    let n = 0;
    for (const h of this.held.values()) if (h.claimed) n++;
    return n;
  }

  withdrawAll(): void {
    for (const id of [...this.held.keys()]) this.withdraw(id);
  }

  /** A pending job (a command, no BL_OUTPUT_DIR to make) to start in the place of the next to exit. */
  hold(job: JobRecord): void {
    const run = runJob(job, {
      ...this.runOptions(job),
      standby: {
        begun: () => this.begun(job.id),
        withdrawn: () => {
          const h = this.held.get(job.id);
          this.held.delete(job.id);
          // Claimed by go() and gone with its helper unstarted: it never ran, so it goes back
          // first in line with this attempt uncounted, as a job a shutdown stopped.
          if (h?.claimed) this.hooks.onEnded(job, { outcome: 'drained', exitCode: null, signal: null, usage: null, reason: 'its spawner process went before it started' });
          else this.hooks.onWithdrawn(job.id);
          this.notify();
        },
      },
    });
    this.held.set(job.id, { job, run, claimed: false, leaving: false });
  }

  /** A held job, claimed by the caller: start it now. */
  go(id: string): void {
    const h = this.held.get(id);
    if (!h || h.leaving) return;
    h.claimed = true;
    h.run.go();
  }

  withdraw(id: string): void {
    const h = this.held.get(id);
    if (!h || h.leaving || h.claimed) return;
    h.leaving = true;
    this.returned++;
    h.run.withdraw();
  }

  private begun(id: string): { outcome: KillOutcome; reason: string } | null {
    const h = this.held.get(id)!;
    this.held.delete(id);
    const unwanted = this.hooks.onBegun(h.job, h.claimed);
    this.track(h.job, h.run, unwanted?.report ?? true);
    this.notify();
    return unwanted;
  }

  private runOptions(job: JobRecord): RunOptions {
    return {
      logPath: jobLogPath(this.stateDir, job.id),
      sampler: this.sampler,
      spawner: this.spawner,
      graceMs: this.graceMs,
      onStarted: (p) => this.hooks.onStarted(job.id, p),
      onIdentified: (p) => this.hooks.onIdentified(job.id, p),
      onExit: () => this.exited.add(job.id),
    };
  }

  private track(job: JobRecord, r: Run, report = true): void {
    this.runs.set(job.id, r);
    void r.done
      .then((result) => {
        this.runs.delete(job.id);
        this.exited.delete(job.id);
        if (report) this.hooks.onEnded(job, result);
        this.notify();
      })
      .catch((e) => console.error(`bl-daemon: ending job ${job.id} failed:`, e));
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  kill(id: string, outcome: 'cancelled' | 'drained', reason: string): boolean {
    const r = this.runs.get(id);
    if (!r) return false;
    r.kill(outcome, reason);
    return true;
  }

  hurryAll(): void {
    for (const r of this.runs.values()) r.hurry();
  }

  /** Resolves when every run has ended and no job is held (withdraw them first). */
  async settled(): Promise<void> {
    while (this.runs.size > 0 || this.held.size > 0) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** Starts the spawner process ahead of the first job (python3 takes 20-90 ms to start). */
  warm(): void {
    this.spawner.warm?.();
  }

  /** After the last run: ends the spawner process, if any. */
  close(): void {
    this.spawner.close();
  }

  ids(): string[] {
    return [...this.runs.keys()];
  }
}
