// Jobs forked by small helper processes that report pids and exits over IPC (protocol.ts). A
// request goes to an idle helper, and a new helper (up to one per core) starts when every one
// is busy forking. A helper that dies takes its reports with it: its jobs are `lost` to the
// caller, which stops their trees. One that dies before it is ready (no python3, too old) is a
// program this host cannot run: the next program in the list takes its requests.
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { SpawnEvents, SpawnRequest, Spawner } from '../spawner.js';
import { inheritedEnv } from '../../proc/inherited-env.js';
import type { FromHelper, OnEof, ToHelper } from './protocol.js';

/** A helper program: how to start it, and its name in messages. */
export interface HelperProgram {
  name: string;
  argv: [string, ...string[]];
}

interface Flight {
  req: SpawnRequest;
  ev: SpawnEvents;
  spawned: boolean;
}

class Helper {
  readonly inflight = new Map<number, Flight>();
  /** Requests with no pid or failure back yet (queued or sent): this helper is busy forking. */
  forking = 0;
  private saidReady = false;
  private closing = false;
  private outbox: ToHelper[] = [];
  private readonly child: ChildProcess;

  /**
   * `onGone(early)`: it died; `early`: before it was ready, with `orphans` never sent.
   * `onQuiet`: its last job ended: nothing in flight any more.
   */
  constructor(
    readonly program: HelperProgram,
    onEof: OnEof,
    ownEnv: Record<string, string> | undefined,
    onGone: (h: Helper, early: { why: string; orphans: Flight[] } | null) => void,
    private readonly onQuiet: () => void,
  ) {
    // Its own group: a CTRL+C at the terminal is the parent's to handle, not the helper's.
    const [file, ...args] = program.argv;
    const child = spawnChild(file, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
      serialization: 'json',
      // Jobs get the environment sent over the channel, not the helper's own.
      ...(ownEnv ? { env: { ...inheritedEnv(), ...ownEnv } } : {}),
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
        const orphans = [...this.inflight.values()];
        this.inflight.clear();
        return onGone(this, { why, orphans });
      }
      onGone(this, null);
      for (const k of [...this.inflight.keys()]) this.fail(k, why);
    };
    child.on('exit', (code, signal) => die(`the ${program.name} process exited (${signal ?? `code ${code}`})`));
    child.on('error', (e) => die(`the ${program.name} process failed: ${e.message}`));
    this.child = child;
    this.post({ k: 0, env: inheritedEnv(), onEof });
  }

  send(k: number, req: SpawnRequest, ev: SpawnEvents): void {
    this.inflight.set(k, { req, ev, spawned: false });
    this.forking++;
    if (this.saidReady) this.post({ k, req });
  }

  /** Nothing in flight: no job running or starting. */
  get idle(): boolean {
    return this.inflight.size === 0;
  }

  /** It said `ready`: requests go straight out. */
  get ready(): boolean {
    return this.saidReady;
  }

  close(): void {
    this.closing = true;
    if (this.outbox.length > 0) this.flush();
    if (this.child.connected) this.child.disconnect();
  }

  /**
   * Sends at the end of this turn, with whatever else it posts: a write that wakes the helper
   * costs the writer ~60-130 µs, and a broker round may start several jobs.
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
    if (f.spawned) f.ev.lost(message);
    else {
      this.forking--;
      f.ev.failed(message);
    }
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
      f.spawned = true;
      this.forking--;
      f.ev.spawned(m.pid);
    } else if (m.t === 'failed') {
      this.inflight.delete(m.k);
      this.forking--;
      f.ev.failed(m.message);
    } else {
      this.inflight.delete(m.k);
      f.ev.exited(m.code, m.signal, m.left, m.at);
    }
  }
}

export interface HelperSpawnerOptions {
  /** What helpers do with their running jobs when this process goes (protocol.ts). */
  onEof: OnEof;
  /** Helper processes at most (default: one per core, up to 4). */
  max?: number;
  /**
   * Helpers exit once none has had anything to do for this long (the next job starts them
   * again, 20-90 ms): two idle python3 processes are ~15 MiB that a daemon used now and then
   * for a batch would otherwise keep for good.
   */
  idleMs?: number;
  /**
   * Variables of the helper processes themselves (not of their jobs): a mark by which a
   * restarted daemon finds the keepers of its jobs in /proc.
   */
  env?: Record<string, string>;
}

export class HelperSpawner implements Spawner {
  private readonly helpers: Helper[] = [];
  private next = 1;
  private readonly max: number;
  /** Programs in order of preference; the first is dropped when it cannot start here. */
  private readonly programs: HelperProgram[];
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    programs: HelperProgram[],
    private readonly o: HelperSpawnerOptions,
  ) {
    if (programs.length === 0) throw new Error('HelperSpawner needs a helper program');
    this.programs = [...programs];
    this.max = Math.max(1, o.max ?? Math.min(4, os.availableParallelism()));
  }

  /** Helper processes running now. */
  get size(): number {
    return this.helpers.length;
  }

  /** The program new helpers run (the first that has not failed to start). */
  get program(): HelperProgram {
    return this.programs[0]!;
  }

  spawn(req: SpawnRequest, ev: SpawnEvents): void {
    this.busy();
    this.pick().send(this.next++, req, ev);
  }

  /**
   * Starts helpers ahead of the first jobs: two (one per core up to the cap), so that the
   * first burst is shared from the start rather than queued on the one helper that was ready.
   */
  warm(n = 2): void {
    while (this.helpers.length < Math.min(n, this.max)) this.helpers.push(this.newHelper());
    // Warmed for jobs that may not come: the idle clock runs from now.
    this.quiet();
  }

  private newHelper(): Helper {
    return new Helper(this.program, this.o.onEof, this.o.env, (gone, early) => this.gone(gone, early), () => this.quiet());
  }

  /** A helper has nothing in flight: when none has, the idle clock starts. */
  private quiet(): void {
    if (this.o.idleMs === undefined || this.idleTimer || !this.helpers.every((h) => h.idle)) return;
    // Unref'd: an idle clock is no reason for a process to live on.
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.helpers.every((h) => h.idle)) this.close();
    }, this.o.idleMs).unref();
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

  private gone(h: Helper, early: { why: string; orphans: Flight[] } | null): void {
    const i = this.helpers.indexOf(h);
    if (i >= 0) this.helpers.splice(i, 1);
    if (!early) return;
    if (this.programs[0] === h.program && this.programs.length > 1) {
      this.programs.shift();
      console.error(`bl: ${early.why} before it was ready; jobs are started by the ${this.program.name} instead`);
    }
    for (const f of early.orphans) {
      if (this.programs[0] === h.program) f.ev.failed(`cannot start the job: ${early.why}`);
      else this.spawn(f.req, f.ev);
    }
  }

  /** Ends every helper (what they do with running jobs is `onEof`); a next spawn starts new ones. */
  close(): void {
    this.busy();
    for (const h of this.helpers.splice(0)) h.close();
  }
}
