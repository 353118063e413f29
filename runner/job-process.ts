// Runs one job: its process in a group of its own with output to its log file (through a
// Spawner), walltime and idle-CPU limits, usage of the whole tree, a kill that takes every
// descendant. Knows nothing of the broker or its store, so the remote bl-launcher can run jobs
// with the same code.
import type { UsageJson } from '../contract/types.js';
import { plainArgv } from './direct-exec.js';
import { idleStep, type IdleState } from './idle-cpu.js';
import { stopTree } from '../proc/stop-tree.js';
import { JOB_MARKER, RUN_MARKER, runMarker, sigkillTree, type TreeRoot } from '../proc/job-tree.js';
import type { Spawner, SpawnRequest } from './spawner.js';
import type { IdleCpu, KillOutcome, LogOutput, RunResult } from '../contract/run.js';
import { addRusage, addSample, type Rusage, type UsageSampler } from './usage-sampler.js';
import type { Limits } from '../contract/limits.js';
import type { CgroupTree, Group } from '../proc/cgroup/group.js';
import { members, stopGroup } from '../proc/cgroup/stop-group.js';
import { readUsage } from '../proc/cgroup/usage.js';
import { groupEnd } from './oom.js';

export interface JobSpec {
  id: string;
  command: string | null;
  argv: string[] | null;
  cwd: string;
  env: Record<string, string>;
  /** Walltime in seconds; null or 0 = none. */
  timeout: number | null;
  idleCpu: IdleCpu | null;
  attempt: number;
  /** The launcher that runs it (its name in the daemon's store; the built-in one is `local`). */
  launcher: string;
  /** Enforced through its cgroup; the launcher refused the job before here if it cannot. */
  limits?: Limits | null;
  /** Its output copied into its log by its spawn helper, rotated and stamped; none: the job writes its log. */
  logOutput?: LogOutput | null;
}

export interface JobRunOptions {
  logPath: string;
  sampler: UsageSampler;
  spawner: Spawner;
  /** SIGTERM → SIGKILL delay when a job is killed. */
  graceMs: number;
  /**
   * Where the job gets a cgroup of its own (`job-<id>`): its members are what a stop kills
   * and what its usage counts. Absent: its process group and descendants (stop-tree.ts).
   */
  cgroups?: CgroupTree | undefined;
  /**
   * Its cgroup when it has one already (a job of an earlier daemon followed again, whose
   * group in `cgroups` holds it): found again, not made, its limits as they were set.
   */
  group?: Group | undefined;
  onStarted?: (p: { pid: number; pgid: number }) => void;
  /**
   * The leader's /proc start time, from the first usage sample (about a second in): crash
   * recovery needs it to kill a left-over job by pid, and a job that ends sooner never needs
   * it (recovery then finds its processes by their BL_JOB_RUN marker), so short jobs cost
   * neither the /proc read nor the write.
   */
  onIdentified?: (p: { pid: number; pgid: number; procStart: number }) => void;
  /** Where the job's keeper writes its end if the daemon is gone by then (SpawnRequest.endFile). */
  endFile?: string;
  /**
   * When the job started, if before this run (a job re-attached after a restart of the
   * daemon): its walltime and its first usage span count from then.
   */
  startedAt?: number;
}

/** The line a log gets before a retry's output: the attempts of a job share one log. */
export const attemptHeader = (attempt: number): string | null => (attempt > 1 ? `--- bl: attempt ${attempt} ---\n` : null);

export class JobRun {
  readonly done: Promise<RunResult>;
  pid: number | undefined;
  usage: UsageJson | null = null;
  private resolve!: (r: RunResult) => void;
  private killing: { outcome: KillOutcome; reason: string; finished: boolean } | undefined;
  private exit: { code: number | null; signal: string | null; at: number } | undefined;
  private root: TreeRoot | undefined;
  private readonly seen = new Map<number, number>();
  private stopSampling: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private idle: IdleState = { lowSince: null };
  private readonly hurried = new AbortController();
  private released = false;
  private rusage: Rusage | undefined;
  private startedAt = 0;
  /** What every process of this run carries, and what its kills find escapees by: this attempt only. */
  private readonly marker: { name: string; value: string };
  private readonly group: Group | undefined;
  /** The stop of what its leader left in its cgroup; the group is removed after it. */
  private leftovers: Promise<unknown> | undefined;

  constructor(
    readonly spec: JobSpec,
    private readonly opts: JobRunOptions,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
    this.marker = { name: RUN_MARKER, value: runMarker(spec.id, spec.attempt, spec.launcher) };
    if (opts.group) this.group = opts.group;
    else if (opts.cgroups) {
      try {
        this.group = opts.cgroups.make(jobGroupName(spec), spec.limits ?? null);
      } catch (e) {
        this.resolve({ outcome: 'spawn_error', exitCode: null, signal: null, usage: null, reason: `cannot make its cgroup: ${(e as Error).message}` });
        return;
      }
    }
    opts.spawner.spawn(this.request(), {
      spawned: (pid) => this.started(pid),
      failed: (message) => this.failed(message),
      exited: (code, signal, left, at, rusage) => {
        if (this.released) return;
        this.rusage = rusage;
        this.exited(code, signal, left, at);
      },
      lost: (reason, ended) => {
        // Released: its keeper has it.
        if (this.released) return;
        if (ended) {
          this.kill('lost', reason);
          this.exited(null, null, false, Date.now());
          return;
        }
        // Its spawn helper died: nobody will report this exit. The tree is stopped and the run
        // ends orphaned, which the broker runs again (decideEnd) rather than calling it lost.
        this.kill('orphaned', `its spawn helper died (${reason}); the job was stopped to run again`);
        // Asked for, never reported: it may have started all the same. Whatever of this run
        // runs is found by its marker.
        if (!this.root) {
          sigkillTree({ pid: -1, pgid: -1, marker: this.marker.value });
          // And by its cgroup, which holds whatever of it runs (the group goes once empty).
          const g = this.group;
          if (g) this.leftovers = stopGroup(g, { grace: 0, signal: 'SIGKILL', hasKill: this.opts.cgroups!.hasKill, interval: 50 });
        }
        this.exited(null, null, true, Date.now());
      },
    });
  }

  /** Kills the tree; the run ends with this outcome (the first kill's outcome wins). */
  kill(outcome: KillOutcome, reason: string): void {
    if (this.killing) return;
    // Not spawned yet: it is killed the moment its pid is known (started()).
    this.killing = { outcome, reason, finished: !this.root };
    if (this.root) this.terminate();
  }

  /**
   * Lets the job run on unobserved (the daemon stops and leaves it to its keeper): no more
   * walltime, samples or end; `done` never resolves. False once a kill has begun.
   */
  release(): boolean {
    if (this.killing || this.exit) return false;
    this.released = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopSampling?.();
    return true;
  }

  /** Skips what is left of the kill's grace period: SIGKILL now. */
  hurry(): void {
    this.hurried.abort();
  }

  private terminate(): void {
    const k = this.killing!;
    k.finished = false;
    const { pid, pgid } = this.root!;
    const g = this.group;
    if (g) {
      void stopGroup(g, { grace: this.opts.graceMs, hasKill: this.opts.cgroups!.hasKill, abort: this.hurried.signal, interval: 50 }).finally(() => {
        k.finished = true;
        this.settle();
      });
      return;
    }
    void stopTree({ pid, pgid, grace: this.opts.graceMs, marker: this.marker, known: this.seen, abort: this.hurried.signal, interval: 50 }).finally(() => {
      k.finished = true;
      this.settle();
    });
  }

  private request(): SpawnRequest {
    const { spec, opts } = this;
    const env = { ...spec.env, [JOB_MARKER]: spec.id, BL_JOB_ATTEMPT: String(spec.attempt), [RUN_MARKER]: this.marker.value };
    const shell = { file: '/bin/sh', args: ['-c', spec.command ?? ''] };
    const plain = spec.argv ? null : plainArgv(spec.command ?? '');
    const tries = spec.argv ? [{ file: spec.argv[0]!, args: spec.argv.slice(1) }] : plain ? [{ file: plain[0]!, args: plain.slice(1) }, shell] : [shell];
    const header = attemptHeader(spec.attempt);
    const req: SpawnRequest = { tries, cwd: spec.cwd, env, logPath: opts.logPath, header, ...(opts.endFile ? { endFile: opts.endFile } : {}), ...(spec.logOutput ? { output: spec.logOutput } : {}) };
    if (this.group) req.cgroup = { enter: this.group.procs, home: opts.cgroups!.plan.home };
    return req;
  }

  private failed(message: string): void {
    this.removeGroup();
    const k = this.killing;
    if (k) this.resolve({ outcome: k.outcome, exitCode: null, signal: null, usage: null, reason: k.reason });
    else this.resolve({ outcome: 'spawn_error', exitCode: null, signal: null, usage: null, reason: message });
  }

  private started(pid: number): void {
    const { spec, opts } = this;
    this.pid = pid;
    this.root = { pid, pgid: pid };
    const startedAt = (this.startedAt = opts.startedAt ?? Date.now());
    opts.onStarted?.({ pid, pgid: pid });
    if (this.killing) {
      this.terminate();
      return;
    }
    let identified = false;
    if (spec.timeout) {
      const left = spec.timeout * 1000 - (Date.now() - startedAt);
      this.timer = setTimeout(() => this.kill('timed_out', `walltime of ${spec.timeout} s exceeded`), Math.max(0, left));
    }
    this.stopSampling = opts.sampler.watch(this.root, startedAt, (s) => {
      for (const [p, t] of s.pids) this.seen.set(p, t);
      const procStart = s.pids.get(pid);
      if (!identified && procStart !== undefined) {
        identified = true;
        opts.onIdentified?.({ pid, pgid: pid, procStart });
      }
      this.usage = addSample(this.usage, s);
      if (spec.idleCpu && !this.killing) {
        const step = idleStep(spec.idleCpu, this.idle, s.cpuPercent, s.since, s.at);
        this.idle = step.st;
        if (step.dead) this.kill('dead', `process tree used under ${spec.idleCpu.percent}% CPU for ${spec.idleCpu.seconds} s`);
      }
    }, this.group);
  }

  private exited(code: number | null, signal: string | null, left: boolean, at: number): void {
    if (this.exit) return;
    this.exit = { code, signal, at };
    const pid = this.pid!;
    const g = this.group;
    if (g) {
      // Its cgroup, not its process group, says what it left (a setsid()'d child too).
      if (!this.killing && members(g).length > 0) this.leftovers = stopGroup(g, { grace: this.opts.graceMs, hasKill: this.opts.cgroups!.hasKill, interval: 50 });
    } else if (!this.killing && left) {
      // The leader is done but it left processes in its group: they do not outlive the job.
      void stopTree({ pid, grace: this.opts.graceMs, marker: this.marker, known: this.seen, interval: 50 });
    }
    this.settle();
  }

  private settle(): void {
    if (!this.exit || (this.killing && !this.killing.finished)) return;
    if (this.timer) clearTimeout(this.timer);
    this.stopSampling?.();
    const k = this.killing;
    const usage = this.rusage ? addRusage(this.usage, this.rusage, this.exit.at - this.startedAt) : this.usage;
    let result: RunResult = { outcome: k ? k.outcome : 'exited', exitCode: this.exit.code, signal: this.exit.signal, usage, reason: k ? k.reason : null, exitedAt: this.exit.at };
    const g = this.group;
    if (g) {
      result = groupEnd(result, readUsage(g), this.spec.limits?.memory_max);
      this.removeGroup();
    }
    this.resolve(result);
  }

  private removeGroup(): void {
    const g = this.group;
    if (!g) return;
    if (this.leftovers) void this.leftovers.finally(() => this.opts.cgroups!.remove(g));
    else this.opts.cgroups!.remove(g);
  }
}

/** A job's cgroup: `job-<id>`, and `job-<id>.<n>` for a retry (the last one may still be emptying). */
export const jobGroupName = (spec: { id: string; attempt: number }): string => (spec.attempt > 1 ? `job-${spec.id}.${spec.attempt}` : `job-${spec.id}`);

export function runJob(spec: JobSpec, opts: JobRunOptions): JobRun {
  return new JobRun(spec, opts);
}
