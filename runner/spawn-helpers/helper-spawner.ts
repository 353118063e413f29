// Jobs forked by small helper processes that report pids and exits over IPC: the daemon's
// spawner (spawn-helper.py, or spawner-main.ts where python3 is missing) and bl-launcher's job
// guard. A request goes to an idle helper, and a new helper (up to one per core) starts when
// every one is busy forking. A helper that dies takes its reports with it: its jobs are `lost`
// to the caller, which stops their trees. One that dies before it is ready (no python3, too
// old) is a program this host cannot run: the next program in the list takes its requests.
//
// Standby (the broker's pipelining): a request marked `standby` is held by a helper that runs
// jobs and started the moment one of them exits, with no round trip through the parent; `go`
// starts it at once, `withdraw` takes it back. Its first report (spawned or failed) says it
// has started; `withdrawn` that it never will.
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { DirectSpawner, NO_HANDLE, type SpawnEvents, type SpawnHandle, type SpawnRequest, type Spawner } from '../spawner.js';
import { inheritedEnv } from '../../proc/inherited-env.js';

// The IPC protocol between a parent (HelperSpawner) and its helpers (serveSpawns and
// spawn-helper.py). The first message each way: the environment jobs inherit, and `ready`.
// A `batch` carries the messages one turn of the parent's event loop posted, in order: one
// write (and one wake-up of the helper) instead of one each.
type ToHelper = { k: number; req: SpawnRequest } | { k: 0; env: Record<string, string> } | { k: number; t: 'go' | 'withdraw' } | { k: 0; batch: ToHelper[] };
type FromHelper =
  | { k: 0; t: 'ready' }
  | { k: number; t: 'spawned'; pid: number }
  | { k: number; t: 'failed'; message: string }
  | { k: number; t: 'exited'; code: number | null; signal: string | null; left?: boolean; at?: number }
  | { k: number; t: 'withdrawn' };

/** A helper program: how to start it, and its name in messages. */
export interface HelperProgram {
  name: string;
  argv: [string, ...string[]];
}

interface Flight {
  req: SpawnRequest;
  ev: SpawnEvents;
  spawned: boolean;
  /** A standby request not started yet. */
  held: boolean;
}

class Helper {
  readonly inflight = new Map<number, Flight>();
  /** Requests with no pid or failure back yet (queued or sent): this helper is busy forking. */
  forking = 0;
  /** Jobs it runs or is starting (not held). */
  active = 0;
  /** Standby requests it holds. */
  held = 0;
  private saidReady = false;
  private closing = false;
  private outbox: ToHelper[] = [];
  private readonly child: ChildProcess;

  /**
   * `onGone(early)`: it died; `early`: before it was ready, with `orphans` never sent.
   * `onQuiet`: its last job ended (or was given back): nothing in flight any more.
   */
  constructor(
    readonly program: HelperProgram,
    onGone: (h: Helper, early: { why: string; orphans: [number, Flight][] } | null) => void,
    private readonly onQuiet: () => void = () => undefined,
  ) {
    // Its own group: a CTRL+C at the terminal is the parent's to handle, not the helper's.
    const [file, ...args] = program.argv;
    const child = spawnChild(file, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
      serialization: 'json',
    });
    // Neither the helper nor its channel keeps the parent alive; close() ends it.
    child.unref();
    child.channel?.unref();
    child.on('message', (m: FromHelper) => {
      this.onMessage(m);
      if (this.inflight.size === 0) this.onQuiet();
    });
    let gone = false;
    const die = (why: string) => {
      if (gone) return;
      gone = true;
      // Dead before ready and not asked to go: this program cannot run here.
      if (!this.saidReady && !this.closing) {
        const orphans = [...this.inflight];
        this.inflight.clear();
        return onGone(this, { why, orphans });
      }
      onGone(this, null);
      for (const k of [...this.inflight.keys()]) this.fail(k, why);
    };
    child.on('exit', (code, signal) => die(`the ${program.name} process exited (${signal ?? `code ${code}`})`));
    child.on('error', (e) => die(`the ${program.name} process failed: ${e.message}`));
    this.child = child;
    this.post({ k: 0, env: inheritedEnv() });
  }

  send(k: number, req: SpawnRequest, ev: SpawnEvents): SpawnHandle {
    const held = req.standby === true;
    this.inflight.set(k, { req, ev, spawned: false, held });
    if (held) this.held++;
    else {
      this.forking++;
      this.active++;
    }
    if (this.saidReady) this.post({ k, req });
    if (!held) return NO_HANDLE;
    return {
      go: () => {
        const f = this.inflight.get(k);
        if (!f?.held) return;
        // Still queued here, it goes out as a plain request once the helper is ready.
        if (this.saidReady) this.post({ k, t: 'go' });
        else f.req = { ...f.req, standby: false };
        // Starting from now on, in this count: a standby request next must not count on it.
        this.started(f);
      },
      withdraw: () => {
        const f = this.inflight.get(k);
        if (!f?.held) return;
        if (this.saidReady) return this.post({ k, t: 'withdraw' });
        this.inflight.delete(k);
        this.held--;
        queueMicrotask(() => f.ev.withdrawn?.());
      },
    };
  }

  /** Nothing in flight: no job running, starting or held. */
  get idle(): boolean {
    return this.inflight.size === 0;
  }

  /** It said `ready`: requests go straight out. */
  get ready(): boolean {
    return this.saidReady;
  }

  close(): void {
    this.closing = true;
    // What this turn posted goes first (a withdraw, say): the helper answers it before EOF.
    if (this.outbox.length > 0) this.flush();
    if (this.child.connected) this.child.disconnect();
  }

  /**
   * Sends at the end of this turn, with whatever else it posts: on this VM a write that wakes
   * the helper costs the writer ~60-130 us, and a broker round posts a message a job it holds.
   */
  private post(m: ToHelper): void {
    if (this.outbox.push(m) === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    if (this.outbox.length === 0) return;
    const out = this.outbox;
    this.outbox = [];
    if (!this.child.connected) return void this.undelivered(out, 'its channel is closed');
    this.child.send(out.length === 1 ? out[0] : { k: 0, batch: out }, (err) => {
      if (err) this.undelivered(out, err.message);
    });
  }

  private undelivered(out: ToHelper[], why: string): void {
    for (const m of out) if (m.k !== 0) this.fail(m.k, `cannot reach the ${this.program.name}: ${why}`);
  }

  private fail(k: number, message: string): void {
    const f = this.inflight.get(k);
    if (!f) return;
    this.inflight.delete(k);
    if (f.held) {
      // It never started: back to its queue.
      this.held--;
      return f.ev.withdrawn?.();
    }
    this.active--;
    if (f.spawned) f.ev.lost(message);
    else {
      this.forking--;
      f.ev.failed(message);
    }
  }

  /** A held request's first report: it has started (or tried to), in some job's place. */
  private started(f: Flight): void {
    if (!f.held) return;
    f.held = false;
    this.held--;
    this.active++;
    this.forking++;
  }

  private onMessage(m: FromHelper): void {
    if (m.t === 'ready') {
      this.saidReady = true;
      for (const [k, f] of this.inflight) this.post({ k, req: f.req });
      return;
    }
    const f = this.inflight.get(m.k);
    if (!f) return;
    if (m.t === 'spawned') {
      this.started(f);
      f.spawned = true;
      this.forking--;
      f.ev.spawned(m.pid);
    } else if (m.t === 'failed') {
      this.started(f);
      this.inflight.delete(m.k);
      this.forking--;
      this.active--;
      f.ev.failed(m.message);
    } else if (m.t === 'withdrawn') {
      if (!f.held) return;
      this.inflight.delete(m.k);
      this.held--;
      f.ev.withdrawn?.();
    } else {
      this.inflight.delete(m.k);
      this.active--;
      f.ev.exited(m.code, m.signal, m.left, m.at);
    }
  }
}

export class HelperSpawner implements Spawner {
  readonly holds = true;
  private readonly helpers: Helper[] = [];
  private next = 1;
  private readonly max: number;
  /** Programs in order of preference; the first is dropped when it cannot start here. */
  private readonly programs: HelperProgram[];

  private readonly idleMs: number | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  /**
   * `idleMs`: helpers exit once none has had anything to do for this long (the next job
   * starts them again, 20-90 ms): two idle python3 processes are ~15 MiB that a daemon used
   * now and then for a batch would otherwise keep for good.
   */
  constructor(programs: HelperProgram[], max = Math.min(4, os.availableParallelism()), o: { idleMs?: number } = {}) {
    if (programs.length === 0) throw new Error('HelperSpawner needs a helper program');
    this.programs = [...programs];
    this.max = Math.max(1, max);
    this.idleMs = o.idleMs;
  }

  /** Helper processes running now. */
  get size(): number {
    return this.helpers.length;
  }

  /** The program new helpers run (the first that has not failed to start). */
  get program(): HelperProgram {
    return this.programs[0]!;
  }

  spawn(req: SpawnRequest, ev: SpawnEvents): SpawnHandle {
    this.busy();
    if (!req.standby) return this.pick().send(this.next++, req, ev);
    // Every held request on one helper, the one holding some already (else the one running the
    // most): it starts them in the order they came, so each start is the caller's oldest held
    // job. Spread over helpers, an exit on one would start its newer job while an older one
    // waited on another for an exit that may be an hour away. Exits elsewhere reach the caller,
    // whose go() starts the oldest held job here.
    let best: Helper | undefined;
    for (const h of this.helpers) if (!best || h.held > best.held || (h.held === best.held && h.active > best.active)) best = h;
    return (best ?? this.pick()).send(this.next++, req, ev);
  }

  /**
   * Starts helpers ahead of the first jobs: two (one per core up to the cap), so that the
   * first burst and the standby jobs it leads to are shared from the start. (A pool that grew
   * under a burst keeps all of it on the first helper, the one ready: its exits start its held
   * jobs one after another, all batch long.)
   */
  warm(n = 2): void {
    while (this.helpers.length < Math.min(n, this.max)) this.helpers.push(this.newHelper());
    // Warmed for jobs that may not come: the idle clock runs from now.
    this.quiet();
  }

  private newHelper(): Helper {
    return new Helper(this.program, (gone, early) => this.gone(gone, early), () => this.quiet());
  }

  /** A helper has nothing in flight: when none has, the idle clock starts. */
  private quiet(): void {
    if (this.idleMs === undefined || this.idleTimer || !this.helpers.every((h) => h.idle)) return;
    // Unref'd: an idle clock is no reason for a process to live on.
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.helpers.every((h) => h.idle)) this.close();
    }, this.idleMs).unref();
  }

  private busy(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /**
   * An idle ready helper; else, while under the cap, a new one starts, but the request goes to
   * the least busy ready helper if there is one: python3 takes 20-90 ms to start, a busy
   * helper is free again in a fraction of a millisecond.
   */
  private pick(): Helper {
    let best: Helper | undefined;
    for (const h of this.helpers) {
      if (h.ready && h.forking === 0) return h;
      if (!best || (h.ready && !best.ready) || (h.ready === best.ready && h.forking < best.forking)) best = h;
    }
    if (this.helpers.length >= this.max) return best!;
    const h = this.newHelper();
    this.helpers.push(h);
    return best?.ready ? best : h;
  }

  private gone(h: Helper, early: { why: string; orphans: [number, Flight][] } | null): void {
    const i = this.helpers.indexOf(h);
    if (i >= 0) this.helpers.splice(i, 1);
    if (!early) return;
    if (this.programs[0] === h.program && this.programs.length > 1) {
      this.programs.shift();
      console.error(`bl: ${early.why} before it was ready; jobs are started by the ${this.program.name} instead`);
    }
    for (const [, f] of early.orphans) {
      if (f.held) f.ev.withdrawn?.();
      else if (this.programs[0] === h.program) f.ev.failed(`cannot start the job: ${early.why}`);
      else this.spawn(f.req, f.ev);
    }
  }

  /** Ends every helper (the jobs they run go on, in sessions of their own); a next spawn starts new ones. */
  close(): void {
    this.busy();
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
  const held: { k: number; req: SpawnRequest }[] = [];
  const launch = (k: number, req: SpawnRequest) =>
    direct.spawn(req, {
      spawned: (pid) => {
        hooks.spawned?.(k, pid, req);
        send({ k, t: 'spawned', pid });
      },
      failed: (message) => send({ k, t: 'failed', message }),
      exited: (code, signal) => {
        hooks.exited?.(k);
        send({ k, t: 'exited', code, signal, at: Date.now() });
        // A slot is free: the first held request takes it.
        const next = held.shift();
        if (next) launch(next.k, next.req);
      },
      lost: () => undefined,
    });
  const handle = (m: ToHelper): void => {
    if ('batch' in m) return m.batch.forEach(handle);
    // A Node helper already has the parent's environment as is (Node drops its IPC
    // variables): DirectSpawner's inheritedEnv(). Only Python, which coerces LC_CTYPE in its
    // own, needs the copy.
    if ('env' in m) return;
    if ('t' in m) {
      const i = held.findIndex((h) => h.k === m.k);
      if (i < 0) return; // started already: its report is on the way
      const [h] = held.splice(i, 1);
      if (m.t === 'go') launch(h!.k, h!.req);
      else send({ k: m.k, t: 'withdrawn' });
      return;
    }
    if (m.req.standby) held.push({ k: m.k, req: m.req });
    else launch(m.k, m.req);
  };
  process.on('message', handle);
  send({ k: 0, t: 'ready' });
}
