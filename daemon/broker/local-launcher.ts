// The daemon's built-in launcher: runs claimed jobs on this host, one Run each (runner/), and
// reports how each ended. It holds only running jobs; the queue stays in the store.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { KillOutcome, RunResult } from '../../contract/run.js';
import type { UsageJson } from '../../contract/types.js';
import { startRun, type Run } from '../../runner/start-run.js';
import type { Spawner } from '../../runner/spawner.js';
import type { CgroupTree } from '../../proc/cgroup/group.js';
import { UsageSampler } from '../../runner/usage-sampler.js';
import type { JobRecord } from './types.js';

export interface LauncherHooks {
  /** `null`: an http job, which has no process (its start is still an event: metrics, dashboard). */
  onStarted(id: string, p: { pid: number; pgid: number } | null): void;
  onIdentified(id: string, p: { pid: number; pgid: number; procStart: number }): void;
  onEnded(job: JobRecord, result: RunResult): void;
}

export function jobLogPath(stateDir: string, id: string): string {
  return path.join(stateDir, 'jobs', `${id}.log`);
}

export class LocalLauncher {
  private readonly runs = new Map<string, Run>();
  private waiters: (() => void)[] = [];
  private readonly sampler = new UsageSampler();

  constructor(
    private readonly stateDir: string,
    private readonly graceMs: number,
    private readonly spawner: Spawner,
    private readonly cgroups: CgroupTree | undefined,
    private readonly hooks: LauncherHooks,
  ) {
    mkdirSync(path.join(stateDir, 'jobs'), { recursive: true });
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
    const r = startRun(job, {
      logPath: jobLogPath(this.stateDir, job.id),
      sampler: this.sampler,
      spawner: this.spawner,
      graceMs: this.graceMs,
      cgroups: this.cgroups,
      onStarted: (p) => this.hooks.onStarted(job.id, p),
      onIdentified: (p) => this.hooks.onIdentified(job.id, p),
    });
    if (job.http) this.hooks.onStarted(job.id, null);
    this.runs.set(job.id, r);
    void r.done
      .then((result) => {
        this.runs.delete(job.id);
        this.hooks.onEnded(job, result);
        for (const w of this.waiters.splice(0)) w();
      })
      .catch((e) => console.error(`bl-daemon: ending job ${job.id} failed:`, e));
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
    this.spawner.close();
  }

  ids(): string[] {
    return [...this.runs.keys()];
  }
}
