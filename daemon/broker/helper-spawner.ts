// Jobs forked by small helper processes (spawner-main.ts for the daemon, the job guard for a
// bl-launcher) that report pids and exits over IPC. Node's spawn blocks its thread until the
// child has exec'd (~0.7 ms here), so one helper caps a burst at one start at a time: a
// request goes to an idle helper, and a new helper (up to one per core) starts when every
// one is busy forking. A helper that dies takes its reports with it: its jobs are `lost` to
// the caller, which stops their trees.
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectSpawner, type SpawnEvents, type SpawnRequest, type Spawner } from './spawner.js';

// The IPC protocol between a parent (HelperSpawner) and its helpers (serveSpawns).
type ToHelper = { k: number; req: SpawnRequest };
type FromHelper =
  | { k: number; t: 'spawned'; pid: number }
  | { k: number; t: 'failed'; message: string }
  | { k: number; t: 'exited'; code: number | null; signal: string | null };

const here = fileURLToPath(import.meta.url);
/** The daemon's helper program (the extension follows ours: .ts from source, .js built). */
export const SPAWNER_MAIN = path.join(path.dirname(here), `spawner-main${path.extname(here)}`);

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

interface Flight {
  ev: SpawnEvents;
  spawned: boolean;
}

class Helper {
  readonly inflight = new Map<number, Flight>();
  /** Requests sent that have no pid or failure back yet: this helper is forking. */
  forking = 0;
  private readonly child: ChildProcess;

  constructor(
    program: string,
    private readonly what: string,
    onGone: (h: Helper) => void,
  ) {
    // Its own group: a CTRL+C at the terminal is the parent's to handle, not the helper's.
    const child = spawnChild(process.execPath, [...loaderArgv(), program], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
      serialization: 'json',
    });
    // Neither the helper nor its channel keeps the parent alive; close() ends it.
    child.unref();
    child.channel?.unref();
    child.on('message', (m: FromHelper) => this.onMessage(m));
    let gone = false;
    const die = (why: string) => {
      if (gone) return;
      gone = true;
      onGone(this);
      for (const k of [...this.inflight.keys()]) this.fail(k, why);
    };
    child.on('exit', (code, signal) => die(`the ${what} process exited (${signal ?? `code ${code}`})`));
    child.on('error', (e) => die(`the ${what} process failed: ${e.message}`));
    this.child = child;
  }

  send(k: number, req: SpawnRequest, ev: SpawnEvents): void {
    this.inflight.set(k, { ev, spawned: false });
    this.forking++;
    this.child.send({ k, req } satisfies ToHelper, (err) => {
      if (err) this.fail(k, `cannot reach the ${this.what}: ${err.message}`);
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }

  private fail(k: number, message: string): void {
    const f = this.inflight.get(k);
    if (!f) return;
    this.inflight.delete(k);
    if (f.spawned) f.ev.lost(message);
    else {
      this.forking--;
      f.ev.failed(message);
    }
  }

  private onMessage(m: FromHelper): void {
    const f = this.inflight.get(m.k);
    if (!f) return;
    if (m.t === 'spawned') {
      f.spawned = true;
      this.forking--;
      f.ev.spawned(m.pid);
    } else if (m.t === 'failed') {
      this.inflight.delete(m.k);
      this.forking--;
      f.ev.failed(m.message);
    } else {
      this.inflight.delete(m.k);
      f.ev.exited(m.code, m.signal);
    }
  }
}

export class HelperSpawner implements Spawner {
  private readonly helpers: Helper[] = [];
  private next = 1;
  private readonly max: number;

  /** `program`: the helper's main module; `what`: its name in messages. */
  constructor(
    private readonly program: string,
    private readonly what: string,
    max = Math.min(4, os.availableParallelism()),
  ) {
    this.max = Math.max(1, max);
  }

  spawn(req: SpawnRequest, ev: SpawnEvents): void {
    this.pick().send(this.next++, req, ev);
  }

  /** An idle helper; else a new one while under the cap; else the least busy. */
  private pick(): Helper {
    let best: Helper | undefined;
    for (const h of this.helpers) {
      if (h.forking === 0) return h;
      if (!best || h.forking < best.forking) best = h;
    }
    if (best && this.helpers.length >= this.max) return best;
    const h = new Helper(this.program, this.what, (gone) => {
      const i = this.helpers.indexOf(gone);
      if (i >= 0) this.helpers.splice(i, 1);
    });
    this.helpers.push(h);
    return h;
  }

  close(): void {
    for (const h of this.helpers.splice(0)) h.close();
  }
}

/**
 * The helper's side: starts what the parent sends and reports pids and exits. `hooks` let a
 * helper keep its own account of live jobs (the job guard kills them if its launcher dies).
 */
export function serveSpawns(hooks: { spawned?(k: number, pid: number, req: SpawnRequest): void; exited?(k: number): void } = {}): void {
  // The helper does nothing else: its log files are opened on its own thread (see DirectSpawner).
  const direct = new DirectSpawner({ syncOpen: true });
  const send = (m: FromHelper) => {
    if (process.connected) process.send!(m);
  };
  process.on('message', ({ k, req }: ToHelper) => {
    direct.spawn(req, {
      spawned: (pid) => {
        hooks.spawned?.(k, pid, req);
        send({ k, t: 'spawned', pid });
      },
      failed: (message) => send({ k, t: 'failed', message }),
      exited: (code, signal) => {
        hooks.exited?.(k);
        send({ k, t: 'exited', code, signal });
      },
      lost: () => undefined,
    });
  });
}
