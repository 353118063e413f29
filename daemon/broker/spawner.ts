// Starting a job's process: open its log, spawn it in a group of its own, report its pid and
// its exit. Node forks the whole calling process, page tables and all, and waits for the
// child's exec: from the daemon (a hundred MB, an event loop shared with HTTP and SQLite)
// that costs more than the job itself. HelperSpawner does it from a small process of its own;
// DirectSpawner does it in process (the helper itself, and a bl-launcher).
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { close, open, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SpawnRequest {
  /** Programs to try in turn: the next one when a spawn fails (a plain command's shell fallback). */
  tries: { file: string; args: string[] }[];
  cwd: string;
  env: Record<string, string>;
  logPath: string;
  /** A line written to the log before the output (the attempt number). */
  header: string | null;
}

export interface SpawnEvents {
  spawned(pid: number): void;
  failed(message: string): void;
  exited(code: number | null, signal: string | null): void;
  /** The spawner died: the job may run on, but its exit will never be reported. */
  lost(reason: string): void;
}

export interface Spawner {
  spawn(req: SpawnRequest, ev: SpawnEvents): void;
  close(): void;
}

export class DirectSpawner implements Spawner {
  spawn(req: SpawnRequest, ev: SpawnEvents): void {
    // A plain fd on the thread pool: creating a file can take most of a millisecond, and the fd
    // goes to the child, so no FileHandle that would close itself when collected.
    open(req.logPath, 'a', (err, fd) => {
      if (err) return ev.failed(`cannot open the log file ${req.logPath}: ${err.message}`);
      try {
        if (req.header) writeSync(fd, req.header);
      } catch {
        // the header is a courtesy
      }
      this.tryNext(req, 0, fd, ev);
    });
  }

  private tryNext(req: SpawnRequest, i: number, fd: number, ev: SpawnEvents): void {
    const { file, args } = req.tries[i]!;
    const done = (fail?: string) => {
      close(fd, () => undefined);
      if (fail !== undefined) ev.failed(fail);
    };
    let child: ChildProcess;
    try {
      child = spawnChild(file, args, { cwd: req.cwd, env: req.env, detached: true, stdio: ['ignore', fd, fd] });
    } catch (e) {
      return done(`cannot start ${file}: ${(e as Error).message}`);
    }
    if (child.pid === undefined) {
      // Spawn failures (no such cwd or program) come as an 'error' event, with no pid.
      child.once('error', (e) => {
        if (i + 1 < req.tries.length) return this.tryNext(req, i + 1, fd, ev);
        try {
          writeSync(fd, `bl: cannot start the job: ${e.message}\n`);
        } catch {
          // the log is a courtesy here
        }
        done(`cannot start the job in ${req.cwd}: ${e.message}`);
      });
      return;
    }
    child.on('error', () => undefined); // later errors are about signalling; the exit still comes
    done();
    ev.spawned(child.pid);
    child.once('exit', (code, signal) => ev.exited(code, signal));
  }

  close(): void {}
}

type ToHelper = { k: number; req: SpawnRequest };
export type FromHelper =
  | { k: number; t: 'spawned'; pid: number }
  | { k: number; t: 'failed'; message: string }
  | { k: number; t: 'exited'; code: number | null; signal: string | null };

const here = fileURLToPath(import.meta.url);
const HELPER = path.join(path.dirname(here), `spawner-main${path.extname(here)}`);

/** Only the loader flags (tsx when run from source): test-runner or profiler flags stay here. */
function loaderArgv(): string[] {
  const out: string[] = [];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    if (/^--(import|require|loader)=/.test(a[i]!)) out.push(a[i]!);
    else if (/^--(import|require|loader)$/.test(a[i]!) && i + 1 < a.length) out.push(a[i]!, a[++i]!);
  }
  return out;
}

export class HelperSpawner implements Spawner {
  private child: ChildProcess | undefined;
  private next = 1;
  private readonly inflight = new Map<number, { ev: SpawnEvents; spawned: boolean }>();

  spawn(req: SpawnRequest, ev: SpawnEvents): void {
    const child = this.helper();
    const k = this.next++;
    this.inflight.set(k, { ev, spawned: false });
    child.send({ k, req } satisfies ToHelper, (err) => {
      if (err) this.fail(k, `cannot reach the spawner: ${err.message}`);
    });
  }

  close(): void {
    const c = this.child;
    this.child = undefined;
    if (c?.connected) c.disconnect();
  }

  private fail(k: number, message: string): void {
    const f = this.inflight.get(k);
    if (!f) return;
    this.inflight.delete(k);
    if (f.spawned) f.ev.lost(message);
    else f.ev.failed(message);
  }

  private helper(): ChildProcess {
    if (this.child) return this.child;
    // Its own group: a CTRL+C at the terminal is the daemon's to handle, not the spawner's.
    const child = spawnChild(process.execPath, [...loaderArgv(), HELPER], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
      serialization: 'json',
    });
    // Neither the helper nor its channel keeps the daemon alive; close() ends it.
    child.unref();
    child.channel?.unref();
    child.on('message', (m: FromHelper) => this.onMessage(m));
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      for (const k of [...this.inflight.keys()]) this.fail(k, why);
    };
    child.on('exit', (code, signal) => gone(`the spawner process exited (${signal ?? `code ${code}`})`));
    child.on('error', (e) => gone(`the spawner process failed: ${e.message}`));
    this.child = child;
    return child;
  }

  private onMessage(m: FromHelper): void {
    const f = this.inflight.get(m.k);
    if (!f) return;
    if (m.t === 'spawned') {
      f.spawned = true;
      f.ev.spawned(m.pid);
    } else if (m.t === 'failed') {
      this.inflight.delete(m.k);
      f.ev.failed(m.message);
    } else {
      this.inflight.delete(m.k);
      f.ev.exited(m.code, m.signal);
    }
  }
}
