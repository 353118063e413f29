// Starting a job's process: open its log, spawn it in a group of its own, report its pid and
// its exit. Node forks the whole calling process, page tables and all, and waits for the
// child's exec: from the daemon (a hundred MB, an event loop shared with HTTP and SQLite)
// that costs more than the job itself. HelperSpawner (helper-spawner.ts) does it from small
// processes of their own; DirectSpawner does it in process (in those helpers, and in tests).
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { close, open, openSync, writeSync } from 'node:fs';
import { inheritedEnv } from '../proc/inherited-env.js';

export interface SpawnRequest {
  /** Programs to try in turn: the next one when a spawn fails (a plain command's shell fallback). */
  tries: { file: string; args: string[] }[];
  cwd: string;
  /** Set on top of `baseEnv`. */
  env: Record<string, string>;
  /**
   * The environment the job inherits; absent: the spawning process's own. A helper process
   * has the daemon's, so a job's few variables are all that crosses the IPC channel.
   */
  baseEnv?: Record<string, string>;
  logPath: string;
  /** A line written to the log before the output (the attempt number). */
  header: string | null;
  /** Held, to start in the place of the next job of its helper to exit (HelperSpawner). */
  standby?: boolean;
}

export interface SpawnEvents {
  spawned(pid: number): void;
  failed(message: string): void;
  /**
   * `left`: its group still had processes at its exit (undefined: not known, the caller looks).
   * `at`: when the exit was seen (epoch ms), if the spawner knows better than the caller's clock now.
   */
  exited(code: number | null, signal: string | null, left?: boolean, at?: number): void;
  /** The spawner died: the job may run on, but its exit will never be reported. */
  lost(reason: string): void;
  /** A standby request taken back (withdraw(), or its helper went) before it started. */
  withdrawn?(): void;
}

/** What a caller may still say about a standby request. */
export interface SpawnHandle {
  /** Start it now. */
  go(): void;
  /** Take it back: `withdrawn`, unless it has started meanwhile. */
  withdraw(): void;
}

export const NO_HANDLE: SpawnHandle = { go: () => undefined, withdraw: () => undefined };

export interface Spawner {
  spawn(req: SpawnRequest, ev: SpawnEvents): SpawnHandle;
  /** Takes standby requests (HelperSpawner); others start every request at once. */
  readonly holds?: boolean;
  /** Gets ready for a first job (starts a helper process), so it does not wait for that. */
  warm?(): void;
  close(): void;
}

export class DirectSpawner implements Spawner {
  /**
   * `syncOpen`: open log files on this thread. A helper process does nothing but spawn, and
   * a trip through the thread pool per job is a wake-up more on the way to the fork.
   */
  constructor(private readonly o: { syncOpen?: boolean } = {}) {}

  spawn(req: SpawnRequest, ev: SpawnEvents): SpawnHandle {
    this.start(req, ev);
    return NO_HANDLE;
  }

  private start(req: SpawnRequest, ev: SpawnEvents): void {
    if (this.o.syncOpen) {
      let fd: number;
      try {
        fd = openSync(req.logPath, 'a');
      } catch (e) {
        return ev.failed(`cannot open the log file ${req.logPath}: ${(e as Error).message}`);
      }
      return this.opened(req, fd, ev);
    }
    // A plain fd on the thread pool: creating a file can take most of a millisecond, and the fd
    // goes to the child, so no FileHandle that would close itself when collected.
    open(req.logPath, 'a', (err, fd) => {
      if (err) return ev.failed(`cannot open the log file ${req.logPath}: ${err.message}`);
      this.opened(req, fd, ev);
    });
  }

  private opened(req: SpawnRequest, fd: number, ev: SpawnEvents): void {
    try {
      if (req.header) writeSync(fd, req.header);
    } catch {
      // the header is a courtesy
    }
    this.tryNext(req, 0, fd, ev);
  }

  private tryNext(req: SpawnRequest, i: number, fd: number, ev: SpawnEvents): void {
    const { file, args } = req.tries[i]!;
    const done = (fail?: string) => {
      close(fd, () => undefined);
      if (fail !== undefined) ev.failed(fail);
    };
    let child: ChildProcess;
    try {
      const env = { ...(req.baseEnv ?? inheritedEnv()), ...req.env };
      child = spawnChild(file, args, { cwd: req.cwd, env, detached: true, stdio: ['ignore', fd, fd] });
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
