// One task's I/O: spawns workers in their own process groups, stops them (SIGTERM, grace,
// SIGKILL), watches exits, keeps a timer for the next decision. Decisions come from decide.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TaskSpec } from '../config/types.js';
import type { EventBus } from '../events/bus.js';
import { decide, record, newRuntime, type Action, type StopReason, type TaskEvent, type TaskRuntime, type TaskView } from './decide.js';
import { stopTree } from '../../proc/stop-tree.js';
import { ancestorIn, sameProcess, readStat } from '../../proc/stat.js';
import { resolveCommand, isDirectory, type Program } from './command-path.js';
import { nextPid } from '../../proc/next-pid.js';
import { inheritedEnv } from '../../proc/inherited-env.js';
import type { WorkerRecords } from './worker-records.js';
import { exitOutlook } from './exit-outlook.js';

/** The environment variable that marks every process of one worker (found after it left its group). */
const MARKER_VAR = 'BL_PROCESS_ID';

export interface ManagerDeps {
  events: EventBus;
  logDir: string;
  records: WorkerRecords;
  /** BL_KEEPALIVE_ENDPOINT and the HTTP base, read at spawn time (ports are known late). */
  endpoints: () => { keepalive: string; http: string };
  /** Aborted by a second CTRL+C: stops skip their grace period. */
  force: AbortSignal;
  /** Told of each event dispatched (the supervisor keeps run-time changes across restarts). */
  dispatched?: (task: string, event: TaskEvent) => void;
  /** What is wrong with the task's command or cwd as configured, before any spawn says it. */
  problem?: (task: string) => string | undefined;
}

interface Proc {
  pid: number;
  pgid: number;
  marker: string;
  startTime: number;
  /** Resolves when the worker and every process of its tree are gone. */
  done: Promise<void>;
  stopping: boolean;
}

const LOG_ROTATE_BYTES = 16 * 1024 * 1024;
const SPAWN_CHUNK = 25;
const RESOLVE_TTL_MS = 1000;
export class TaskManager {
  /** Changed only by the reducer (decide.ts), through dispatch and record. */
  private readonly rt: TaskRuntime;
  private readonly procs = new Map<number, Proc>();
  /** Pids of descendants that sent keep-alives, mapped to their worker. */
  private readonly viaDescendant = new Map<number, number>();
  /** Worker ids (the random part of BL_PROCESS_ID, also in BL_KEEPALIVE_URL) → pid. */
  private readonly byId = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private logFd: number | undefined;
  private readonly pending = new Set<Promise<void>>();
  private spawnLoop = false;
  /** The program found on PATH, kept a second: walking PATH for every spawn costs 17 ms a 100. */
  private resolved: { key: string; program: Program | undefined; at: number } | undefined;
  private spawnError: string | undefined;

  constructor(
    spec: TaskSpec,
    private readonly deps: ManagerDeps,
  ) {
    this.rt = newRuntime(spec);
  }

  get name(): string {
    return this.rt.spec.name;
  }

  /** The task's state, to read. */
  get view(): TaskView {
    return this.rt;
  }

  /** Why the last spawn failed (a command not found, a missing cwd…), for the status. */
  get lastError(): string | undefined {
    return this.spawnError ?? this.deps.problem?.(this.name);
  }

  /** Every change of the task's state: the reducer decides, this carries out what it says. */
  dispatch(event: TaskEvent): void {
    this.execute(decide(this.rt, event, Date.now()));
    this.deps.dispatched?.(this.name, event);
  }

  start(): void {
    this.dispatch({ type: 'start' });
  }

  /** Stops every worker; resolves when no process of this task is left. */
  async stop(reason: 'stop' | 'shutdown' = 'stop'): Promise<void> {
    this.dispatch({ type: 'stop', reason });
    await this.settled();
  }

  /** Resolves when every stop and clean-up under way has finished. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /**
   * Matches a keep-alive to a worker: by the worker id when the sender gave one (the `id` of
   * BL_KEEPALIVE_URL), else by its pid or a descendant's. False when it is not ours.
   */
  keepalive(pid: number, status?: string, info?: string, id?: string): boolean {
    if (id !== undefined) {
      const byId = this.byId.get(id);
      if (byId === undefined || !this.rt.workers.has(byId)) return false;
      this.dispatch({ type: 'keepalive', pid: byId, status, info });
      return true;
    }
    let wpid: number | undefined = this.rt.workers.has(pid) ? pid : this.viaDescendant.get(pid);
    if (wpid !== undefined && !this.rt.workers.has(wpid)) {
      this.viaDescendant.delete(pid);
      wpid = undefined;
    }
    if (wpid === undefined) {
      wpid = ancestorIn(pid, (p) => this.rt.workers.has(p));
      if (wpid === undefined) return false;
      this.viaDescendant.set(pid, wpid);
    }
    this.dispatch({ type: 'keepalive', pid: wpid, status, info });
    return true;
  }

  /**
   * Takes over workers of an earlier daemon (adopt: true), all of the task's at once: one
   * decision that sees them all, else the first one alone would look like a pool short of
   * workers and start extra ones that the next would then stop.
   */
  adopt(recs: { pid: number; pgid: number; startTime: number; startedAt: number; marker: string }[]): void {
    const taken = recs.map((rec) => {
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => (resolveDone = r));
      const proc: Proc = { pid: rec.pid, pgid: rec.pgid, marker: rec.marker, startTime: rec.startTime, done, stopping: false };
      this.procs.set(rec.pid, proc);
      this.byId.set(workerId(rec.marker), rec.pid);
      return { proc, resolveDone };
    });
    this.dispatch({ type: 'adopt', workers: recs.map((r) => ({ pid: r.pid, startedAt: r.startedAt })) });
    // Watched once the reducer knows them: an exit seen at once must find its worker there.
    for (const { proc, resolveDone } of taken) void this.watchAdopted(proc).then(resolveDone);
  }

  private execute(actions: Action[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'spawn':
          this.spawnMany();
          break;
        case 'stop':
          this.stopProc(a.pid, a.reason);
          break;
        case 'wake':
          this.wakeAt(a.at);
          break;
        case 'emit':
          this.deps.events.publish(a.topic, a.data);
          break;
      }
    }
  }

  private wakeAt(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.dispatch({ type: 'tick' });
    }, Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  /**
   * Spawns what the decisions asked for (rt.spawning), SPAWN_CHUNK at a time with a turn of
   * the event loop between chunks: 1000 workers spawned in one go block HTTP, keep-alives and
   * stall checks for seconds. A stop or a lower cardinality meanwhile cancels the rest.
   */
  private spawnMany(): void {
    if (this.spawnLoop) return;
    this.spawnLoop = true;
    const chunk = () => {
      let n = 0;
      while (this.rt.spawning > 0 && this.rt.running && n++ < SPAWN_CHUNK) {
        const r = this.spawnOne();
        if (typeof r === 'string') {
          this.spawnError = r;
          const now = Date.now();
          const next = record(this.rt, { type: 'spawn-failed', error: r }, now);
          this.deps.events.publish('worker.spawn_failed', { task: this.name, error: r, ...exitOutlook(this.rt, now) });
          this.execute(next);
          break;
        }
        // Recorded without a decision per worker: the decision that asked for them knew.
        record(this.rt, { type: 'spawned', pid: r }, Date.now());
      }
      if (this.rt.spawning > 0 && this.rt.running) {
        setImmediate(chunk);
        return;
      }
      this.spawnLoop = false;
      // One decision after the batch sets the wakes (stall deadlines, backoff) of the new state.
      this.dispatch({ type: 'tick' });
    };
    chunk();
  }

  private output(): number | 'ignore' {
    if (!this.rt.spec.captureOutput) return 'ignore';
    const file = this.logFile();
    if (this.logFd !== undefined) {
      try {
        if (statSync(file).size < LOG_ROTATE_BYTES) return this.logFd;
      } catch {
        // the file was removed under us: open a new one
      }
      closeSync(this.logFd);
      this.logFd = undefined;
      try {
        renameSync(file, file + '.1');
      } catch {
        // nothing to rotate
      }
    }
    mkdirSync(path.dirname(file), { recursive: true });
    this.logFd = openSync(file, 'a');
    return this.logFd;
  }

  logFile(): string {
    return path.join(this.deps.logDir, `${this.name.replace(/[^A-Za-z0-9_.@+-]/g, '_')}.log`);
  }

  /** Returns the pid, or a message saying why the worker could not start. */
  private spawnOne(): number | string {
    const s = this.rt.spec;
    if (!isDirectory(s.cwd)) return `working directory does not exist: ${s.cwd}`;
    const env: Record<string, string> = { ...inheritedEnv(), ...s.env };
    const program = this.program(s.cmd, s.cwd, env.PATH);
    if (!program) return `command not found: ${s.cmd}`;
    const ep = this.deps.endpoints();
    const id = newWorkerId();
    const marker = `${s.name}:${id}`;
    // The worker is exec'd directly, no shell in front: its pid in the URL is the kernel's
    // likely next one, and the id makes the URL exact whichever pid it gets.
    const url = `${ep.http}/tasks/${encodeURIComponent(s.name)}/workers/${nextPid() ?? 0}/alive?id=${id}`;
    Object.assign(env, { BL_TASK: s.name, BL_KEEPALIVE_ENDPOINT: ep.keepalive, BL_KEEPALIVE_URL: url, [MARKER_VAR]: marker });
    let child: ChildProcess;
    try {
      const out = this.output();
      const [file, args] = program.viaShell ? ['/bin/sh', [program.path, ...s.args]] : [program.path, s.args];
      child = spawn(file, args, { cwd: s.cwd, env, detached: true, stdio: ['ignore', out, out] });
    } catch (e) {
      return `cannot start ${s.cmd}: ${(e as Error).message}`;
    }
    const pid = child.pid;
    if (pid === undefined) {
      // Why comes a tick later; the backoff has started by then, the status shows the reason.
      child.on('error', (e) => (this.spawnError = `cannot start ${s.cmd}: ${e.message}`));
      return `cannot start ${s.cmd}`;
    }
    const startTime = readStat(pid)?.startTime ?? 0;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const proc: Proc = { pid, pgid: pid, marker, startTime, done, stopping: false };
    this.procs.set(pid, proc);
    this.byId.set(id, pid);
    this.deps.records.add({ pid, task: s.name, pgid: pid, startTime, startedAt: Date.now(), marker });
    child.on('error', () => {}); // spawn errors were ruled out above; later ones show as exit
    child.on('exit', (code, signal) => {
      this.onLeaderExit(proc, code, signal);
      resolveDone();
    });
    this.deps.events.publish('worker.started', { task: s.name, pid });
    return pid;
  }

  private program(cmd: string, cwd: string, envPath: string | undefined): Program | undefined {
    const key = `${cmd}\0${cwd}\0${envPath}`;
    const now = Date.now();
    if (this.resolved?.key !== key || now - this.resolved.at > RESOLVE_TTL_MS) {
      this.resolved = { key, program: resolveCommand(cmd, cwd, envPath), at: now };
    }
    return this.resolved.program;
  }

  private onLeaderExit(proc: Proc, code: number | null, signal: string | null): void {
    const w = this.rt.workers.get(proc.pid);
    const reason = w?.stopReason ?? (code === 0 && !signal ? 'exited' : 'crashed');
    const uptime = w ? Date.now() - w.startedAt : 0;
    this.deps.records.remove(proc.pid);
    this.procs.delete(proc.pid);
    this.byId.delete(workerId(proc.marker));
    for (const [d, wp] of this.viaDescendant) if (wp === proc.pid) this.viaDescendant.delete(d);
    // Decided before it is told, so the event can say what follows; carried out after, so the
    // exit comes before its replacement's start. The replacement first: the clean-up below
    // reads /proc, which takes milliseconds.
    const now = Date.now();
    const next = decide(this.rt, { type: 'exited', pid: proc.pid, code, signal }, now);
    this.deps.events.publish('worker.exited', { task: this.name, pid: proc.pid, code, signal, reason, uptime_ms: uptime, ...exitOutlook(this.rt, now) });
    this.execute(next);
    if (!proc.stopping) {
      // The worker died by itself: what it left behind in its group goes too.
      const grace = this.rt.spec.gracePeriod;
      this.track(
        new Promise<void>((r) => setImmediate(r)).then(() =>
          stopTree({ ...workerTree(proc), grace, abort: this.deps.force }).then(() => {}),
        ),
      );
    }
  }

  private stopProc(pid: number, reason: StopReason): void {
    const proc = this.procs.get(pid);
    if (!proc || proc.stopping) return;
    proc.stopping = true;
    const grace = this.rt.spec.gracePeriod;
    // A forced shutdown: SIGKILL is the first signal (stopTree sees the abort and kills the rest).
    const signal = this.deps.force.aborted ? ('SIGKILL' as const) : undefined;
    const t = stopTree({ ...workerTree(proc), grace, abort: this.deps.force, signal }).then(async (r) => {
      await proc.done;
      if (r.forced) this.deps.events.publish('worker.killed', { task: this.name, pid, reason, after_ms: r.took });
    });
    this.track(t);
  }

  private track(p: Promise<void>): void {
    const q = p.catch((e) => console.error(`bl-daemon: ${this.name}: stopping a worker failed:`, e)).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  private async watchAdopted(proc: Proc): Promise<void> {
    // Not our child: no exit event, so look every 200 ms.
    while (sameProcess(proc.pid, proc.startTime)) await new Promise((r) => setTimeout(r, 200).unref());
    if (this.procs.get(proc.pid) === proc) this.onLeaderExit(proc, null, null);
  }

  /** Wrong for the last log write of a worker to come after close: close at the very end. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.logFd !== undefined) closeSync(this.logFd);
    this.logFd = undefined;
  }
}

/** What stop-tree needs to find every process of a worker (a live one, or one recorded earlier). */
export function workerTree(w: { pid: number; pgid: number; marker: string; startTime: number }) {
  return { pid: w.pid, pgid: w.pgid, marker: { name: MARKER_VAR, value: w.marker }, leaderStart: w.startTime };
}

/** A worker's id: the random part of BL_PROCESS_ID, also the `id` of BL_KEEPALIVE_URL. */
const newWorkerId = () => randomBytes(6).toString('hex');
export const isWorkerId = (s: string): boolean => /^[0-9a-f]{12}$/.test(s);

/** The id part of a marker (`task:id`): task names may hold colons, ids do not. */
function workerId(marker: string): string {
  return marker.slice(marker.lastIndexOf(':') + 1);
}
