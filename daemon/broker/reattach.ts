// Following the jobs of an earlier daemon (recovery.ts finds them, reattach-rules.ts decides):
// a job whose process lives is run as any other (JobRun: walltime, cancel, usage, log), with a
// spawner that spawns nothing and reports what the job's keeper writes in its end file; a job
// with no process left waits for its end while a keeper lives. End files are watched with
// fs.watch for promptness and polled as the net (a watch may be refused or miss an event).
import { readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { KillOutcome, RunResult } from '../../contract/run.js';
import type { Run } from '../../runner/start-run.js';
import type { SpawnEvents, SpawnRequest, Spawner } from '../../runner/spawner.js';
import { parseEnd, type KeeperEnd } from '../../runner/spawn-helpers/end-file.js';
import { addRusage } from '../../runner/usage-sampler.js';
import { markedPids, sameProcess, statIndex, type ProcStat } from '../../proc/stat.js';
import { followStep } from './reattach-rules.js';

/** The variable that marks the daemon's spawn helpers (their own, not their jobs'): its value is the end-file directory. */
export const KEEPER_MARK = 'BL_KEEPER_OF';

const POLL_MS = 500;

/** A process known by pid and start time (a recycled pid is not it). */
export interface Known {
  pid: number;
  startTime: number;
}

export const knownAlive = (p: Known | null): boolean => p !== null && sameProcess(p.pid, p.startTime);

/** The keepers of an earlier daemon: helpers marked for `dir` that are not this process's children. */
export function findKeepers(dir: string, stats: ProcStat[], self = process.pid): Known[] {
  const { byPid } = statIndex(stats);
  const out: Known[] = [];
  for (const pid of markedPids(KEEPER_MARK, 0).get(dir) ?? []) {
    const st = byPid.get(pid);
    if (st && st.ppid !== self) out.push({ pid, startTime: st.startTime });
  }
  return out;
}

/** The end in `file`; undefined when there is none (yet) or it is not one. */
export function readEnd(file: string): KeeperEnd | undefined {
  try {
    return parseEnd(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The end-file names in `dir`. */
export function listEnds(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.end'));
  } catch {
    return [];
  }
}

/** How a run ends that its keeper recorded with no daemon to hear it. */
export function endResult(end: KeeperEnd, startedAt: number | null): RunResult {
  return { outcome: 'exited', exitCode: end.code, signal: end.signal, usage: addRusage(null, end, end.at - (startedAt ?? end.at)), reason: null, exitedAt: end.at };
}

/** One directory of end files, watched while any job is followed. */
export class EndsWatch {
  private readonly checks = new Map<string, () => void>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly dir: string) {}

  /** Calls `check` when `name` may have appeared and at every poll; returns what stops it. */
  follow(name: string, check: () => void): () => void {
    this.checks.set(name, check);
    if (!this.timer) {
      // Unref'd, both: following is no reason for a process to live on.
      this.timer = setInterval(() => this.checkAll(), POLL_MS).unref();
      try {
        this.watcher = watch(this.dir, { persistent: false }, (_, f) => f && this.checks.get(f.toString())?.());
        this.watcher.on('error', () => this.unwatch());
      } catch {
        // no watch here: the poll alone
      }
    }
    return () => {
      if (this.checks.get(name) === check) this.checks.delete(name);
      if (this.checks.size === 0) this.close();
    };
  }

  close(): void {
    this.checks.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unwatch();
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private checkAll(): void {
    for (const c of [...this.checks.values()]) c();
  }
}

export interface Leader extends Known {
  /** Its parent, the keeper that will write its end; null: it died (the job was orphaned). */
  keeper: Known | null;
}

/**
 * A Spawner for one job that runs already: it reports the leader as spawned and its end as
 * the keeper writes it, or the job as lost once neither the job nor its keeper is left.
 */
export class FollowSpawner implements Spawner {
  private stop: (() => void) | undefined;

  constructor(
    private readonly leader: Leader,
    private readonly endFile: string,
    private readonly ends: EndsWatch,
  ) {}

  spawn(_req: SpawnRequest, ev: SpawnEvents): void {
    const { leader, endFile } = this;
    let over = false;
    const check = () => {
      if (over) return;
      // The end is read last: one written before its keeper exited is seen.
      const keeperAlive = knownAlive(leader.keeper);
      const leaderAlive = knownAlive(leader);
      const s = followStep({ leaderAlive, keeperAlive, end: readEnd(endFile), hadLeader: true });
      if (s.kind === 'wait') return;
      over = true;
      this.close();
      if (s.kind === 'ended') ev.exited(s.end.code, s.end.signal, s.end.left, s.end.at, s.end);
      else ev.lost(s.reason, true);
    };
    this.stop = this.ends.follow(path.basename(endFile), check);
    ev.spawned(leader.pid);
    setImmediate(check);
  }

  close(): void {
    this.stop?.();
    this.stop = undefined;
  }
}

/**
 * A job with no process left whose end a keeper may still write: it ends with that end, or
 * lost once no keeper of the earlier daemon lives. A kill ends it at once (there is nothing
 * to stop); release() lets it wait for the next daemon.
 */
export class AwaitedEnd implements Run {
  readonly done: Promise<RunResult>;
  readonly pid = undefined;
  readonly usage = null;
  private resolve!: (r: RunResult) => void;
  private readonly stop: () => void;
  private over = false;

  constructor(endFile: string, keepers: Known[], ends: EndsWatch, startedAt: number | null) {
    this.done = new Promise((r) => (this.resolve = r));
    const check = () => {
      if (this.over) return;
      const keeperAlive = keepers.some(knownAlive);
      const s = followStep({ leaderAlive: false, keeperAlive, end: readEnd(endFile), hadLeader: false });
      if (s.kind === 'ended') this.end(endResult(s.end, startedAt));
      else if (s.kind === 'lost') this.end({ outcome: 'lost', exitCode: null, signal: null, usage: null, reason: s.reason });
    };
    this.stop = ends.follow(path.basename(endFile), check);
    setImmediate(check);
  }

  kill(outcome: KillOutcome, reason: string): void {
    this.end({ outcome, exitCode: null, signal: null, usage: null, reason });
  }

  hurry(): void {}

  release(): boolean {
    if (this.over) return false;
    this.over = true;
    this.stop();
    return true;
  }

  private end(r: RunResult): void {
    if (this.over) return;
    this.over = true;
    this.stop();
    this.resolve(r);
  }
}
