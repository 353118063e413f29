// The daemon's built-in launcher: runs claimed jobs on this host, one Run each (runner/), and
// reports how each ended. It holds only running jobs; the queue stays in the store. A job's
// keeper (its spawn helper) writes its end under jobs/ends/ when the daemon is gone by then;
// a restarted daemon follows such jobs here too (reattach.ts).
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { KillOutcome, RunResult } from '../../contract/run.js';
import type { UsageJson } from '../../contract/types.js';
import { startRun, type Run } from '../../runner/start-run.js';
import { jobGroupName, runJob } from '../../runner/job-process.js';
import { groupEnd } from '../../runner/oom.js';
import { endFileName } from '../../runner/spawn-helpers/end-file.js';
import { AwaitedEnd, EndsWatch, FollowSpawner, type Known, type Leader } from './reattach.js';
import type { Spawner } from '../../runner/spawner.js';
import type { CgroupTree, Group } from '../../proc/cgroup/group.js';
import { stopGroup } from '../../proc/cgroup/stop-group.js';
import { readUsage } from '../../proc/cgroup/usage.js';
import { UsageSampler } from '../../runner/usage-sampler.js';
import { LOCAL_LAUNCHER, type JobRecord } from './types.js';

export interface LauncherHooks {
  /** `null`: an http job, which has no process (its start is still an event: metrics, dashboard). */
  onStarted(id: string, p: { pid: number; pgid: number } | null): void;
  onIdentified(id: string, p: { pid: number; pgid: number; procStart: number }): void;
  onEnded(job: JobRecord, result: RunResult): void;
}

export function jobLogPath(stateDir: string, id: string): string {
  return path.join(stateDir, 'jobs', `${id}.log`);
}

/** Where keepers write the ends of the daemon's jobs. */
export function endsDir(stateDir: string): string {
  return path.join(stateDir, 'jobs', 'ends');
}

export class LocalLauncher {
  private readonly runs = new Map<string, Run>();
  /** The attempt of each job in `runs`. */
  private readonly attempts = new Map<string, number>();
  private waiters: (() => void)[] = [];
  private readonly sampler = new UsageSampler();
  readonly endsDir: string;
  private readonly ends: EndsWatch;

  constructor(
    private readonly stateDir: string,
    private readonly graceMs: number,
    private readonly spawner: Spawner,
    private readonly cgroups: CgroupTree | undefined,
    private readonly hooks: LauncherHooks,
  ) {
    this.endsDir = endsDir(stateDir);
    mkdirSync(this.endsDir, { recursive: true });
    this.ends = new EndsWatch(this.endsDir);
  }

  private endFile(job: JobRecord): string {
    return path.join(this.endsDir, endFileName(job.id, job.attempt));
  }

  /** Jobs running here (their end not reported yet). */
  get size(): number {
    return this.runs.size;
  }

  /** What only memory knows of a running job: its usage, and its pid before it is written. */
  live(id: string): { usage: UsageJson | null; pid: number | null } | undefined {
    const r = this.runs.get(id);
    return r && { usage: r.usage, pid: r.pid ?? null };
  }

  run(job: JobRecord): void {
    const r = startRun({ ...job, launcher: LOCAL_LAUNCHER }, {
      logPath: jobLogPath(this.stateDir, job.id),
      sampler: this.sampler,
      spawner: this.spawner,
      graceMs: this.graceMs,
      cgroups: this.cgroups,
      onStarted: (p) => this.hooks.onStarted(job.id, p),
      onIdentified: (p) => this.hooks.onIdentified(job.id, p),
      endFile: this.endFile(job),
    });
    if (job.http) this.hooks.onStarted(job.id, null);
    this.track(job, r, false);
  }

  /** Follows a job of an earlier daemon whose leader lives, to its end, as one started here. */
  attach(job: JobRecord, leader: Leader): void {
    // Its cgroup, if it was started in one: a stop kills by membership, usage counts from it.
    // One started without (cgroups off then) is held by its tree and marker as it was.
    const group = this.groupOf(job);
    const r = runJob({ ...job, launcher: LOCAL_LAUNCHER }, {
      logPath: jobLogPath(this.stateDir, job.id),
      sampler: this.sampler,
      spawner: new FollowSpawner(leader, this.endFile(job), this.ends),
      graceMs: this.graceMs,
      ...(group ? { cgroups: this.cgroups, group } : {}),
      onIdentified: (p) => this.hooks.onIdentified(job.id, p),
      ...(job.startedAt !== null ? { startedAt: job.startedAt } : {}),
    });
    this.track(job, r, true);
  }

  /** Waits for the end of a job of an earlier daemon that has no process left, while a keeper may write it. */
  awaitEnd(job: JobRecord, keepers: Known[]): void {
    this.track(job, new AwaitedEnd(this.endFile(job), keepers, this.ends, job.startedAt), true, (r) => this.clearGroup(job, r));
  }

  /** The cgroup of a job an earlier daemon started, when it was given one and it is still there. */
  private groupOf(job: JobRecord): Group | undefined {
    return this.cgroups?.find(jobGroupName(job), job.limits ?? null);
  }

  /**
   * For a job of an earlier daemon that has ended: its end `r` with its cgroup's memory peak,
   * and `oom` when the kernel's OOM killer took a process of it; what is left in the group is
   * killed and the group removed (dropGroup).
   */
  clearGroup(job: JobRecord, r: RunResult): RunResult {
    const g = this.groupOf(job);
    if (!g) return r;
    const end = groupEnd(r, readUsage(g), job.limits?.memory_max);
    this.dropGroup(job, g);
    return end;
  }

  /**
   * Kills what is left in the cgroup of a job of an earlier daemon (membership proves it the
   * job's, escaped from its session or not) and removes the group once empty.
   */
  dropGroup(job: JobRecord, g = this.groupOf(job)): void {
    const tree = this.cgroups;
    if (!g || !tree) return;
    void stopGroup(g, { grace: 0, signal: 'SIGKILL', hasKill: tree.hasKill, interval: 50 }).then(() => tree.remove(g));
  }

  /** `kept`: its end may be in an end file, removed once the end is recorded. `finish`: what its end becomes first. */
  private track(job: JobRecord, r: Run, kept: boolean, finish: (r: RunResult) => RunResult = (x) => x): void {
    this.runs.set(job.id, r);
    this.attempts.set(job.id, job.attempt);
    void r.done
      .then((ended) => {
        const result = finish(ended);
        this.runs.delete(job.id);
        this.attempts.delete(job.id);
        this.hooks.onEnded(job, result);
        if (kept) rmSync(this.endFile(job), { force: true });
        for (const w of this.waiters.splice(0)) w();
      })
      .catch((e) => console.error(`bl-daemon: ending job ${job.id} failed:`, e));
  }

  /**
   * Leaves every running job to its keeper (a stop that keeps jobs): this daemon hears no
   * more of them and the next one follows them. One that cannot outlive the daemon (an http
   * job, a kill under way) is killed as drained. Returns how many were left running.
   */
  releaseAll(reason: string): number {
    let n = 0;
    for (const [id, r] of this.runs) {
      if (r.release?.()) {
        this.runs.delete(id);
        n++;
      } else r.kill('drained', reason);
    }
    for (const w of this.waiters.splice(0)) w();
    return n;
  }

  kill(id: string, outcome: KillOutcome, reason: string): boolean {
    const r = this.runs.get(id);
    if (!r) return false;
    r.kill(outcome, reason);
    return true;
  }

  hurryAll(): void {
    for (const r of this.runs.values()) r.hurry();
  }

  /** Resolves when every run has ended. */
  async settled(): Promise<void> {
    while (this.runs.size > 0) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** Starts the spawner's helpers ahead of the first job (python3 takes 20-90 ms to start). */
  warm(): void {
    this.spawner.warm?.();
  }

  /** After the last run: ends the spawner's helpers, if any. */
  close(): void {
    this.ends.close();
    this.spawner.close();
  }

  ids(): string[] {
    return [...this.runs.keys()];
  }

  /** Each job running here, and its attempt. */
  held(): [id: string, attempt: number][] {
    return [...this.attempts];
  }
}
