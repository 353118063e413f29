// One task's I/O: spawns workers in their own process groups, stops them (SIGTERM, grace,
// SIGKILL), watches exits, reads their output and samples their usage, keeps a timer for the
// next decision. Decisions come from decide.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TaskSpec } from '../config/types.js';
import type { EventBus } from '../events/bus.js';
import { decide, exitMessage, record, newRuntime, type Action, type StopReason, type TaskEvent, type TaskRuntime, type TaskView } from './decide.js';
import { OutputCapture, type WorkerOutput } from './output-capture.js';
import { outputChannels, type OutputChannel } from './output-channels.js';
import { workerSampler, type ProcessUsage } from './worker-usage.js';
import { stopTreeBatched, type StopResult } from '../../proc/stop-tree.js';
import { oomReason } from '../../runner/oom.js';
import type { CgroupTree, Group } from '../../proc/cgroup/group.js';
import { stopGroup, members } from '../../proc/cgroup/stop-group.js';
import { readUsage } from '../../proc/cgroup/usage.js';
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
  /** The `key` BL_KEEPALIVE_URL carries for a task: its credential under `auth`. */
  keepaliveKey?: (task: string) => string;
  /** Aborted by a second CTRL+C: stops skip their grace period. */
  force: AbortSignal;
  /** Told of each event dispatched (the supervisor keeps run-time changes across restarts). */
  dispatched?: (task: string, event: TaskEvent) => void;
  /** What is wrong with the task's command or cwd as configured, before any spawn says it. */
  problem?: (task: string) => string | undefined;
  /** bl's cgroup subtree: each worker gets a cgroup in it (`task-<name>/worker-<id>`). */
  cgroups?: CgroupTree | undefined;
}

interface Proc {
  pid: number;
  pgid: number;
  marker: string;
  startTime: number;
  /** Resolves when the worker and every process of its tree are gone. */
  done: Promise<void>;
  stopping: boolean;
  /** Its output, when the task captures it (an adopted worker's: when its pipe opened again). */
  output: WorkerOutput | undefined;
  /** Ends the sampling of its usage. */
  unwatch: () => void;
  /** Its cgroup, when bl holds workers by cgroups: what a stop kills is its members. */
  group?: Group | undefined;
}

const SPAWN_CHUNK = 25;
/** spawnOne's answer when no output channel is ready: the spawn waits for one (a burst). */
const NO_CHANNEL = Symbol('no output channel ready');
const RESOLVE_TTL_MS = 1000;
/**
 * How long a stop waits, once the worker's tree is gone, for the end of its output (what was
 * still in its pipe). Only a writer that escaped the stop keeps a pipe open longer; it is read
 * on, unwaited.
 */
const OUTPUT_WAIT_MS = 2000;
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
  private readonly capture: OutputCapture;
  /** The last usage sample of each worker's tree (a measurement, not task state: see worker-usage.ts). */
  private readonly usage = new Map<number, ProcessUsage>();
  private readonly pending = new Set<Promise<void>>();
  private spawnLoop = false;
  /** The program found on PATH, kept a second: walking PATH for every spawn costs 17 ms a 100. */
  private resolved: { key: string; program: Program | undefined; at: number } | undefined;

  constructor(
    spec: TaskSpec,
    private readonly deps: ManagerDeps,
  ) {
    this.rt = newRuntime(spec);
    this.capture = new OutputCapture(spec.name, this.logFile(), () => {
      const s = this.rt.spec;
      return { maxBytes: s.logMaxBytes, keep: s.logKeep, timestamps: s.logTimestamps };
    });
  }

  get name(): string {
    return this.rt.spec.name;
  }

  /** The task's state, to read. */
  get view(): TaskView {
    return this.rt;
  }

  /**
   * Why the task does not run as asked, for the status: its last exit's message, else what the
   * check of its command at start found (a missing script, cwd…).
   */
  get lastError(): string | undefined {
    return this.rt.lastExit?.message ?? this.deps.problem?.(this.name);
  }

  /** The last usage sample of a worker's process tree; undefined before the first. */
  usageOf(pid: number): ProcessUsage | undefined {
    return this.usage.get(pid);
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
      const unwatch = this.sample(rec.pid, rec.pgid, rec.startedAt);
      const output = this.rt.spec.captureOutput ? this.reattach(rec.pid) : undefined;
      const proc: Proc = { pid: rec.pid, pgid: rec.pgid, marker: rec.marker, startTime: rec.startTime, done, stopping: false, output, unwatch };
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
    const end = () => {
      this.spawnLoop = false;
      // One decision after the batch sets the wakes (stall deadlines, backoff) of the new state.
      this.dispatch({ type: 'tick' });
    };
    const chunk = () => {
      let n = 0;
      while (this.rt.spawning > 0 && this.rt.running && n++ < SPAWN_CHUNK) {
        const r = this.spawnOne();
        if (typeof r === 'number') {
          // Recorded without a decision per worker: the decision that asked for them knew.
          record(this.rt, { type: 'spawned', pid: r }, Date.now());
          continue;
        }
        if (typeof r === 'string') {
          this.spawnFailed(r);
          break;
        }
        if (r === NO_CHANNEL) {
          outputChannels.whenReady(Math.min(SPAWN_CHUNK, this.rt.spawning)).then(chunk, (e: Error) => {
            this.spawnFailed(`cannot make the channel for its output: ${e.message}`);
            end();
          });
          return;
        }
        void r.then((why) => {
          this.spawnFailed(why);
          end();
        });
        return;
      }
      if (this.rt.spawning > 0 && this.rt.running) {
        setImmediate(chunk);
        return;
      }
      end();
    };
    chunk();
  }

  private spawnFailed(why: string): void {
    const now = Date.now();
    const next = record(this.rt, { type: 'spawn-failed', error: why }, now);
    this.deps.events.publish('worker.spawn_failed', { task: this.name, error: why, ...exitOutlook(this.rt, now) });
    this.execute(next);
  }

  /** Reads a worker's output; its last lines complete its last exit once every writer closed (after the exit, as a rule). */
  private read(pid: number, reader: net.Socket): WorkerOutput {
    const output = this.capture.attach(pid, reader);
    void output.ended.then(() => this.dispatch({ type: 'output', pid, lines: output.recent(), errorLine: output.errorLine() }));
    return output;
  }

  /**
   * The output of a worker adopted from an earlier daemon, read again: its stdout is the pipe
   * that daemon read (unless it wrote while no daemon read it: then it is gone), and a pipe can
   * be opened again through /proc. A socket (the fallback channel) or a file cannot: not read.
   */
  private reattach(pid: number): WorkerOutput | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(`/proc/${pid}/fd/1`, constants.O_RDONLY | constants.O_NONBLOCK);
      if (!fstatSync(fd).isFIFO()) throw new Error('not a pipe');
      this.capture.open();
    } catch {
      if (fd !== undefined) closeSync(fd);
      return undefined;
    }
    return this.read(pid, new net.Socket({ fd, readable: true, writable: false }));
  }

  /** Samples a worker's tree about once a second; returns what stops it. */
  private sample(pid: number, pgid: number, startedAt: number, group?: Group): () => void {
    // In a cgroup: its accounting (every member, escaped or not), not a walk of /proc.
    const unwatch = workerSampler.watch({ pid, pgid }, startedAt, (s) => this.usage.set(pid, { cpuPercent: s.cpuPercent, rssBytes: s.rssBytes }), group);
    return () => {
      unwatch();
      this.usage.delete(pid);
    };
  }

  logFile(): string {
    return path.join(this.deps.logDir, `${this.name.replace(/[^A-Za-z0-9_.@+-]/g, '_')}.log`);
  }

  /**
   * Returns the pid, or a message saying why the worker could not start (a promise of it when
   * the kernel's reason comes a tick later: a fork refused for want of processes, say).
   */
  private spawnOne(): number | string | Promise<string> | typeof NO_CHANNEL {
    const s = this.rt.spec;
    if (!isDirectory(s.cwd)) return `working directory does not exist: ${s.cwd}`;
    const env: Record<string, string> = { ...inheritedEnv(), ...s.env };
    const program = this.program(s.cmd, s.cwd, env.PATH);
    if (!program) return `command not found: ${s.cmd}`;
    let channel: OutputChannel | undefined;
    if (s.captureOutput) {
      try {
        this.capture.open();
      } catch (e) {
        return `cannot write the task log: ${(e as Error).message}`;
      }
      channel = outputChannels.take();
      if (!channel) return NO_CHANNEL;
    }
    const ep = this.deps.endpoints();
    const id = newWorkerId();
    const marker = `${s.name}:${id}`;
    const tree = this.deps.cgroups;
    let group: Group | undefined;
    if (tree) {
      try {
        group = tree.make(`task-${s.name}/worker-${id}`, s.limits ?? null);
      } catch (e) {
        channel?.discard();
        return `cannot make its cgroup: ${(e as Error).message}`;
      }
    }
    // The worker is exec'd directly, no shell in front: its pid in the URL is the kernel's
    // likely next one, and the id makes the URL exact whichever pid it gets.
    const key = this.deps.keepaliveKey?.(s.name);
    const url = `${ep.http}/tasks/${encodeURIComponent(s.name)}/workers/${nextPid() ?? 0}/alive?id=${id}${key ? `&key=${key}` : ''}`;
    Object.assign(env, { BL_TASK: s.name, BL_KEEPALIVE_ENDPOINT: ep.keepalive, BL_KEEPALIVE_URL: url, [MARKER_VAR]: marker });
    let child: ChildProcess;
    try {
      let [file, args] = program.viaShell ? ['/bin/sh', [program.path, ...s.args]] : [program.path, s.args];
      if (group) [file, args] = enterGroupFirst(group, file, args);
      child = spawn(file, args, { cwd: s.cwd, env, detached: true, stdio: channel ? ['ignore', channel.childEnd, channel.childEnd] : 'ignore' });
    } catch (e) {
      channel?.discard();
      if (group) tree!.remove(group);
      return `cannot start ${s.cmd}: ${(e as Error).message}`;
    }
    const pid = child.pid;
    if (pid === undefined) {
      channel?.discard();
      if (group) tree!.remove(group);
      return new Promise<string>((resolve) => {
        const unsaid = setTimeout(() => resolve(`cannot start ${s.cmd}`), 1000);
        child.once('error', (e) => {
          clearTimeout(unsaid);
          resolve(`cannot start ${s.cmd}: ${e.message}`);
        });
      });
    }
    channel?.closeChildEnd();
    const startTime = readStat(pid)?.startTime ?? 0;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const output = channel ? this.read(pid, channel.reader()) : undefined;
    const unwatch = this.sample(pid, pid, Date.now(), group);
    const proc: Proc = { pid, pgid: pid, marker, startTime, done, stopping: false, output, unwatch, group };
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
    proc.unwatch();
    for (const [d, wp] of this.viaDescendant) if (wp === proc.pid) this.viaDescendant.delete(d);
    const errorLine = proc.output?.errorLine();
    const oom = proc.group ? this.oomOf(proc.group) : undefined;
    const message = exitMessage(code, signal, errorLine) + (oom ? `: ${oom}` : '');
    // Decided before it is told, so the event can say what follows; carried out after, so the
    // exit comes before its replacement's start. The replacement first: the clean-up below
    // reads /proc, which takes milliseconds.
    const now = Date.now();
    const exited: TaskEvent = { type: 'exited', pid: proc.pid, code, signal, output: proc.output?.recent() ?? [], errorLine };
    const next = decide(this.rt, exited, now);
    this.deps.events.publish('worker.exited', { task: this.name, pid: proc.pid, code, signal, reason, uptime_ms: uptime, message, ...(oom ? { oom } : {}), ...exitOutlook(this.rt, now) });
    this.execute(next);
    this.deps.dispatched?.(this.name, exited);
    if (!proc.stopping) {
      // The worker died by itself: what it left behind in its group goes too.
      const grace = this.rt.spec.gracePeriod;
      this.track(
        new Promise<void>((r) => setImmediate(r))
          .then(() => this.stopAll(proc, grace))
          .then(() => this.outputEnded(proc)),
      );
    }
  }

  /** Resolves when the worker's output has ended, or OUTPUT_WAIT_MS after the call. */
  private async outputEnded(proc: Proc): Promise<void> {
    if (!proc.output) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([proc.output.ended, new Promise<void>((r) => (timer = setTimeout(r, OUTPUT_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private stopProc(pid: number, reason: StopReason): void {
    const proc = this.procs.get(pid);
    if (!proc || proc.stopping) return;
    proc.stopping = true;
    const grace = this.rt.spec.gracePeriod;
    // A forced shutdown: SIGKILL is the first signal (the stop sees the abort and kills the rest).
    // The workers a stop, a scale-down or a shutdown ends in one turn go out as one batch.
    const signal = this.deps.force.aborted ? ('SIGKILL' as const) : undefined;
    const t = this.stopAll(proc, grace, signal).then(async (r) => {
      await proc.done;
      if (r.forced) this.deps.events.publish('worker.killed', { task: this.name, pid, reason, after_ms: r.took });
      await this.outputEnded(proc);
    });
    this.track(t);
  }

  /**
   * Stops every process of a worker: its cgroup's members, or its group and escapees (stop-tree.ts).
   * The cgroup is removed once empty.
   */
  private async stopAll(proc: Proc, grace: number, signal?: NodeJS.Signals): Promise<StopResult> {
    const g = proc.group;
    if (!g) return stopTreeBatched(workerTree(proc), { grace, abort: this.deps.force, ...(signal ? { signal } : {}) });
    const tree = this.deps.cgroups!;
    const r = members(g).length > 0 ? await stopGroup(g, { grace, hasKill: tree.hasKill, abort: this.deps.force, ...(signal ? { signal } : {}) }) : { forced: false, took: 0 };
    // The leader may still be a zombie in it for a moment: removed once its exit is handled.
    await proc.done;
    tree.remove(g);
    return r;
  }

  /** What an exit says when the OOM killer ended processes of the worker's cgroup. */
  private oomOf(g: Group): string | undefined {
    const u = readUsage(g);
    return u.oomKills > 0 ? oomReason(u.oomKills, g.limits?.memory_max, u.memoryPeak) : undefined;
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

  /** After the last stop: writes what output is left and lets go of the logs. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.capture.close();
  }
}

/**
 * The worker's program behind a shell that enters its cgroup and execs it (same pid, so the
 * keep-alive URL's pid stays right): everything it runs, from its first instruction, is inside.
 */
export function enterGroupFirst(g: Group, file: string, args: string[]): [string, string[]] {
  const script = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 126; shift; n=$((n-1)); done; exec "$@"';
  return ['/bin/sh', ['-c', script, 'bl-cgroup', String(g.procs.length), ...g.procs, file, ...args]];
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
