// The spawn helper in Node, for hosts without python3 (protocol.ts; spawn-helper.py is the
// faster one: Node's spawn forks this whole process). Starts what the parent sends, reports
// pids and exits; when the parent goes it leaves its jobs running, kills them or keeps them
// (`onEof`).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { RUN_MARKER, sigkillTree } from '../../proc/job-tree.js';
import { groupExists, scanStats } from '../../proc/stat.js';
import type { SpawnRequest } from '../spawner.js';
import { writeEnd, type KeeperEnd } from './end-file.js';
import { closePipes, LogPipe, openPipes } from './log-pipe.js';
import { LOG_NAMED_AFTER_MS, RECENT_ENDS_S, requestProblem, type FromHelper, type OnEof, type ToHelper } from './protocol.js';

interface Job {
  pid: number;
  marker: string | undefined;
}

let baseEnv: Record<string, string> = process.env as Record<string, string>;
let onEof: OnEof = 'leave';
const live = new Map<number, Job>();

const send = (m: FromHelper) => {
  if (process.connected) process.send!(m);
};

function start(k: number, req: SpawnRequest): void {
  // A missing cwd is told as the Python helper tells it (its chdir fails before any spawn).
  const cwdError = notADirectory(req.cwd);
  if (req.output) return startPiped(k, req, cwdError);
  // Opened on this thread: the helper does nothing else, and a trip through the thread pool is
  // a wake-up more on the way to the fork.
  const created = !existsSync(req.logPath);
  let fd: number;
  try {
    fd = openSync(req.logPath, 'a');
  } catch (e) {
    return send({ k, t: 'failed', message: `cannot open the log file ${req.logPath}: ${(e as Error).message}` });
  }
  try {
    if (req.header) writeSync(fd, req.header);
  } catch {
    // the header is a courtesy
  }
  if (cwdError) return failed(k, req, fd, `spawn ${req.tries[0]!.file} ${cwdError}`);
  tryNext(k, req, 0, fd, created);
}

/** The errno name when `dir` is not a directory this process can enter, else undefined. */
function notADirectory(dir: string): string | undefined {
  try {
    return statSync(dir).isDirectory() ? undefined : 'ENOTDIR';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'ENOENT';
  }
}

/** Moves this process into the cgroups whose cgroup.procs files these are. */
function enter(files: string[]): void {
  for (const f of files) writeFileSync(f, String(process.pid));
}

function tryNext(k: number, req: SpawnRequest, i: number, fd: number, created: boolean, lp?: LogPipe): void {
  const { file, args } = req.tries[i]!;
  let child: ChildProcess;
  try {
    // Into the job's cgroup for the fork (spawn returns once the child has exec'd), so the job
    // starts inside it; back after (spawn-helper.py does the same around posix_spawn).
    if (req.cgroup) enter(req.cgroup.enter);
  } catch (e) {
    goHome(req);
    return failed(k, req, fd, `cannot enter its cgroup: ${(e as Error).message}`);
  }
  try {
    child = spawn(file, args, { cwd: req.cwd, env: { ...baseEnv, ...req.env }, detached: true, stdio: ['ignore', fd, fd] });
  } catch (e) {
    return failed(k, req, fd, `spawn ${file} ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, lp);
  } finally {
    goHome(req);
  }
  if (child.pid === undefined) {
    // Spawn failures (no such cwd or program) come as an 'error' event, with no pid.
    child.once('error', (e) => {
      if (i + 1 < req.tries.length) return tryNext(k, req, i + 1, fd, created, lp);
      failed(k, req, fd, `spawn ${file} ${(e as NodeJS.ErrnoException).code ?? e.message}`, lp);
    });
    return;
  }
  if (lp) lp.started();
  else closeSync(fd);
  const pid = child.pid;
  const startedAt = Date.now();
  live.set(k, { pid, marker: req.env[RUN_MARKER] });
  child.on('error', () => undefined); // later errors are about signalling; the exit still comes
  send({ k, t: 'spawned', pid });
  child.once('exit', (code, signal) => {
    live.delete(k);
    // A piped job's output is in its pipe: copied before its exit is told (a follow ends there).
    lp?.drain();
    const at = Date.now();
    const left = groupExists(pid);
    if (created && !left && at - startedAt < LOG_NAMED_AFTER_MS) dropIfEmpty(req.logPath);
    send({ k, t: 'exited', code, signal, left, at });
    // No rusage of a child in Node: the end says what the exit said.
    if (req.endFile) noteEnd(req.endFile, { pid, code, signal, at, left, cpu: null, maxrss: null });
    if ((orphaned || lingering) && live.size === 0) {
      closePipes();
      process.exit(0);
    }
  });
}

function goHome(req: SpawnRequest): void {
  if (!req.cgroup) return;
  try {
    enter(req.cgroup.home);
  } catch (e) {
    console.error(`bl: cannot go back to the helper's own cgroup: ${(e as Error).message}`);
  }
}

function failed(k: number, req: SpawnRequest, fd: number, message: string, lp?: LogPipe): void {
  try {
    writeSync(fd, `bl: cannot start the job: ${message}\n`);
  } catch {
    // the log is a courtesy here
  }
  if (lp) lp.abandon();
  else closeSync(fd);
  send({ k, t: 'failed', message: `cannot start the job in ${req.cwd}: ${message}` });
}

/** A brief silent job leaves no log file (protocol.ts, "Logs"). */
function dropIfEmpty(file: string): void {
  try {
    if (statSync(file).size === 0) unlinkSync(file);
  } catch {
    // gone already, or not ours to remove
  }
}

function handle(m: ToHelper): void {
  if ('batch' in m) return m.batch.forEach(handle);
  if ('env' in m) {
    baseEnv = m.env;
    onEof = m.onEof;
    return;
  }
  try {
    const why = requestProblem(m.req);
    if (why !== undefined) return send({ k: m.k, t: 'failed', message: `cannot start the job: ${why}` });
    start(m.k, m.req);
  } catch (e) {
    // One request this helper could not handle fails alone (protocol.ts).
    if ([...live.keys()].includes(m.k)) console.error(`bl: after starting job ${m.k}: ${(e as Error).message}`);
    else send({ k: m.k, t: 'failed', message: `cannot start the job: the spawn helper could not handle its request (${(e as Error).message})` });
  }
}

/** The ends reported lately (protocol.ts, 'keep'), and whether the parent is gone. */
const recent: { at: number; file: string; end: KeeperEnd }[] = [];
let orphaned = false;
/** The parent went ('leave' or 'kill') while piped jobs ran: this helper copies their output until they end. */
let lingering = false;
const RECENT_MAX = 4096;

/** Writes a job's end when no parent hears of it, else keeps it a while. */
function noteEnd(file: string, end: KeeperEnd): void {
  if (orphaned) return writeEndOrSay(file, end);
  recent.push({ at: end.at, file, end });
  const old = Date.now() - RECENT_ENDS_S * 1000;
  let drop = Math.max(0, recent.length - RECENT_MAX);
  while (drop < recent.length && recent[drop]!.at < old) drop++;
  if (drop > 0) recent.splice(0, drop);
}

function writeEndOrSay(file: string, end: KeeperEnd): void {
  try {
    writeEnd(file, end);
  } catch (e) {
    process.stderr.write(`bl: cannot write the end of job ${end.pid} to ${file}: ${(e as Error).message}\n`);
  }
}

// A helper lives as long as its channel (spawn-helper.py says why); jobs start with these
// signals at their default (libuv resets a child's handlers).
for (const sig of ['SIGTERM', 'SIGUSR2'] as const) process.on(sig, () => undefined);
process.on('message', (m: ToHelper) => handle(m));
process.on('disconnect', () => {
  if (onEof === 'kill' && live.size > 0) {
    const stats = scanStats();
    for (const { pid, marker } of live.values()) sigkillTree({ pid, pgid: pid, ...(marker ? { marker } : {}) }, stats);
  }
  if (onEof === 'keep') {
    orphaned = true;
    for (const r of recent.splice(0)) writeEndOrSay(r.file, r.end);
    // The jobs' exits keep this process alive; the last one's end exits it.
    if (live.size > 0) return;
  }
  // Piped jobs' output goes on being copied while they run (their writes would fail else).
  if (live.size > 0 && openPipes() > 0) {
    lingering = true;
    return;
  }
  closePipes();
  process.exit(0);
});
send({ k: 0, t: 'ready' });

// --- Piped logs (SpawnRequest.output: log_max_bytes, log_keep, log_timestamps; log-pipe.ts) ---

function startPiped(k: number, req: SpawnRequest, cwdError: string | undefined): void {
  let lp: LogPipe;
  try {
    lp = new LogPipe(req.logPath, req.output!);
  } catch (e) {
    return send({ k, t: 'failed', message: `cannot open the log file ${req.logPath}: ${(e as Error).message}` });
  }
  if (req.header) lp.writeRaw(req.header);
  const fd = lp.writeFd!;
  if (cwdError) return failed(k, req, fd, `spawn ${req.tries[0]!.file} ${cwdError}`, lp);
  tryNext(k, req, 0, fd, false, lp);
}
