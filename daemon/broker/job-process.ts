// Runs one job: spawn in its own process group with output to its log file, walltime and
// idle-CPU limits, usage of the whole tree, a kill that takes every descendant. Knows nothing
// of the broker or its store, so the remote bl-launcher can run jobs with the same code.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, open, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import type { UsageJson } from '../contract/types.js';
import { plainArgv } from './direct-exec.js';
import { idleStep, type IdleState } from './idle-cpu.js';
import { groupAlive, terminateTree } from './kill-tree.js';
import { JOB_MARKER, type TreeRoot } from './proc-tree.js';
import type { IdleCpu, RunResult } from './types.js';
import { addSample, type UsageSampler } from './usage-sampler.js';

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
}

export interface RunOptions {
  logPath: string;
  sampler: UsageSampler;
  /** SIGTERM → SIGKILL delay when a job is killed. */
  graceMs: number;
  /** The environment jobs inherit (the daemon's, unless a test says otherwise). */
  baseEnv?: NodeJS.ProcessEnv;
  onStarted?: (p: { pid: number; pgid: number }) => void;
  /**
   * The leader's /proc start time, from the first usage sample (about a second in): crash
   * recovery needs it to kill a left-over job by pid, and a job that ends sooner never needs
   * it (recovery then finds its processes by their BL_JOB_ID marker), so short jobs cost
   * neither the /proc read nor the write.
   */
  onIdentified?: (p: { pid: number; pgid: number; procStart: number }) => void;
  onUsage?: (u: UsageJson) => void;
}

const openFd = promisify(open);

type KillOutcome = 'timed_out' | 'dead' | 'cancelled' | 'drained';

export class JobRun {
  readonly done: Promise<RunResult>;
  pid: number | undefined;
  usage: UsageJson | null = null;
  private resolve!: (r: RunResult) => void;
  private killing: { outcome: KillOutcome; reason: string; finished: boolean } | undefined;
  private exit: { code: number | null; signal: string | null } | undefined;
  private root: TreeRoot | undefined;
  private readonly seen = new Map<number, number>();
  private stopSampling: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private idle: IdleState = { lowSince: null };
  private readonly hurried = new AbortController();

  constructor(
    readonly spec: JobSpec,
    private readonly opts: RunOptions,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
    this.start().catch((e: Error) => this.fail(`cannot start the job: ${e.message}`));
  }

  /** Kills the tree; the run ends with this outcome (the first kill's outcome wins). */
  kill(outcome: KillOutcome, reason: string): void {
    if (this.killing) return;
    if (!this.root) {
      // Not spawned yet (its log file is being opened): it never will be.
      this.killing = { outcome, reason, finished: true };
      return;
    }
    this.killing = { outcome, reason, finished: false };
    const k = this.killing;
    void terminateTree({ ...this.root, marker: this.spec.id }, this.seen, this.opts.graceMs, this.hurried.signal).finally(() => {
      k.finished = true;
      this.settle();
    });
  }

  /** Skips what is left of the kill's grace period: SIGKILL now. */
  hurry(): void {
    this.hurried.abort();
  }

  private async start(): Promise<void> {
    const { spec, opts } = this;
    let fd: number;
    try {
      // Creating a file can take most of a millisecond: on the thread pool it does not hold up
      // the event loop. A plain fd, not a FileHandle (which closes itself when collected):
      // the fd goes to the child and we close it ourselves.
      fd = await openFd(opts.logPath, 'a');
      if (spec.attempt > 1) writeSync(fd, `--- bl: attempt ${spec.attempt} ---\n`);
    } catch (e) {
      this.fail(`cannot open the log file ${opts.logPath}: ${(e as Error).message}`);
      return;
    }
    if (this.killing) {
      closeSync(fd);
      this.resolve({ outcome: this.killing.outcome, exitCode: null, signal: null, usage: null, reason: this.killing.reason });
      return;
    }
    const env = { ...(opts.baseEnv ?? process.env), ...spec.env, [JOB_MARKER]: spec.id, BL_JOB_ATTEMPT: String(spec.attempt) };
    const shell: [string, string[]] = ['/bin/sh', ['-c', spec.command ?? '']];
    const plain = spec.argv ? null : plainArgv(spec.command ?? '');
    const first: [string, string[]] = spec.argv ? [spec.argv[0]!, spec.argv.slice(1)] : plain ? [plain[0]!, plain.slice(1)] : shell;
    const launch = ([file, args]: [string, string[]], fallback: boolean): void => {
      let child: ChildProcess;
      try {
        child = spawn(file, args, { cwd: spec.cwd, env, detached: true, stdio: ['ignore', fd, fd] });
      } catch (e) {
        closeSync(fd);
        this.fail(`cannot start ${file}: ${(e as Error).message}`);
        return;
      }
      if (child.pid === undefined) {
        // Spawn failures (no such cwd or program) come as an 'error' event, with no pid.
        child.once('error', (e) => {
          if (fallback && !this.killing) return launch(shell, false);
          try {
            writeSync(fd, `bl: cannot start the job: ${e.message}\n`);
          } catch {
            // the log is a courtesy here
          }
          closeSync(fd);
          if (this.killing) this.resolve({ outcome: this.killing.outcome, exitCode: null, signal: null, usage: null, reason: this.killing.reason });
          else this.fail(`cannot start the job in ${spec.cwd}: ${e.message}`);
        });
        return;
      }
      child.on('error', () => undefined); // later errors are about signalling; exit still comes
      closeSync(fd);
      this.started(child);
    };
    launch(first, plain !== null);
  }

  private started(child: ChildProcess): void {
    const { spec, opts } = this;
    const pid = child.pid!;
    this.pid = pid;
    this.root = { pid, pgid: pid };
    const startedAt = Date.now();
    opts.onStarted?.({ pid, pgid: pid });
    let identified = false;
    child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      if (!this.killing && groupAlive(pid)) {
        // The leader is done but it left processes in its group: they do not outlive the job.
        void terminateTree({ pid, pgid: pid, marker: spec.id }, this.seen, this.opts.graceMs);
      }
      this.settle();
    });
    if (spec.timeout) {
      this.timer = setTimeout(() => this.kill('timed_out', `walltime of ${spec.timeout} s exceeded`), spec.timeout * 1000);
    }
    this.stopSampling = opts.sampler.watch(this.root, startedAt, (s) => {
      for (const [p, t] of s.pids) this.seen.set(p, t);
      const procStart = s.pids.get(pid);
      if (!identified && procStart !== undefined) {
        identified = true;
        opts.onIdentified?.({ pid, pgid: pid, procStart });
      }
      this.usage = addSample(this.usage, s);
      opts.onUsage?.(this.usage);
      if (spec.idleCpu && !this.killing) {
        const step = idleStep(spec.idleCpu, this.idle, s.cpuPercent, s.since, s.at);
        this.idle = step.st;
        if (step.dead) this.kill('dead', `process tree used under ${spec.idleCpu.percent}% CPU for ${spec.idleCpu.seconds} s`);
      }
    });
  }

  private fail(reason: string): void {
    this.resolve({ outcome: 'spawn_error', exitCode: null, signal: null, usage: null, reason });
  }

  private settle(): void {
    if (!this.exit || (this.killing && !this.killing.finished)) return;
    if (this.timer) clearTimeout(this.timer);
    this.stopSampling?.();
    const k = this.killing;
    this.resolve({
      outcome: k ? k.outcome : 'exited',
      exitCode: this.exit.code,
      signal: this.exit.signal,
      usage: this.usage,
      reason: k ? k.reason : null,
    });
  }
}

export function runJob(spec: JobSpec, opts: RunOptions): JobRun {
  return new JobRun(spec, opts);
}
