// The channel a worker's output comes through: one pipe a worker, given as both its stdout and
// its stderr, so that the lines of the two keep the order they were written in (two channels
// read by a daemon that lags a moment lose it: the whole of one is read before the other).
// A real pipe, as supervisord gives: a program that opens /dev/stdout, /dev/stderr or
// /proc/self/fd/2 by name (nginx's error_log, php-fpm's, `echo x > /dev/stderr` in dash) gets
// the pipe again, where a socket (what Node's stdio 'pipe' is, and pm2's) answers ENXIO.
// Node has no call that makes a pipe: `mkfifo` makes named ones, a batch per process, ahead of
// the spawns (a replacement spawns at once, a burst waits for more); each is opened at both
// ends and unlinked at once, which leaves a pipe like any other. Where mkfifo cannot run, the
// channels are socket pairs (socket-pairs.ts), said once.
import { execFile } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SocketPairs } from './socket-pairs.js';

export interface OutputChannel {
  /** The worker's fds 1 and 2, as spawn's stdio takes them. */
  readonly childEnd: number | net.Socket;
  /** The end the daemon reads (made on the first call). */
  reader(): net.Socket;
  /** After the spawn: the worker has its copy, the daemon's would keep the channel open after it. */
  closeChildEnd(): void;
  /** Not used (the spawn failed): both ends go. */
  discard(): void;
}

/** Below this many ready pipes, more are made: up to READY_HIGH, with one mkfifo. */
const READY_LOW = 3;
const READY_HIGH = 8;
/** FIFOs one mkfifo makes at most. */
const BATCH = 64;
/** A mkfifo that runs this long is stuck. */
const MAKE_TIMEOUT_MS = 10000;

interface Pipe {
  read: number;
  write: number;
}

export class OutputChannels {
  private readonly ready: Pipe[] = [];
  private making = 0;
  private waiters: { n: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private refilling = false;
  /** Set when mkfifo cannot run here: socket pairs from then on. */
  private sockets: SocketPairs | undefined;

  constructor(
    private readonly dir = os.tmpdir(),
    private readonly mkfifo = 'mkfifo',
  ) {}

  /** A ready channel, or undefined (then `whenReady`); the next ones are made after the spawn. */
  take(): OutputChannel | undefined {
    if (this.sockets) return this.sockets.take();
    const pipe = this.ready.shift();
    this.refillSoon();
    return pipe && pipeChannel(pipe);
  }

  /** Resolves when `n` channels are ready; rejects when they cannot be made. */
  whenReady(n: number): Promise<void> {
    if (this.sockets) return this.sockets.whenReady(n);
    if (this.ready.length >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ n, resolve, reject });
      this.fill();
    });
  }

  private refillSoon(): void {
    if (this.refilling || this.ready.length + this.making >= READY_LOW) return;
    this.refilling = true;
    setImmediate(() => {
      this.refilling = false;
      this.fill();
    });
  }

  /** Pipes to have ready or on the way: what the largest waiter waits for, else a few. */
  private fill(): void {
    const want = Math.max(READY_HIGH, ...this.waiters.map((w) => w.n));
    while (this.ready.length + this.making < want) this.make(Math.min(BATCH, want - this.ready.length - this.making));
  }

  private make(count: number): void {
    this.making += count;
    const paths = Array.from({ length: count }, () => path.join(this.dir, `bl-pipe-${process.pid}-${randomBytes(8).toString('hex')}`));
    execFile(this.mkfifo, ['-m', '600', '--', ...paths], { timeout: MAKE_TIMEOUT_MS }, (err) => {
      this.making -= count;
      const made: Pipe[] = [];
      for (const p of paths) {
        const pipe = openFifo(p);
        if (pipe) made.push(pipe);
      }
      this.ready.push(...made);
      if (err && made.length === 0) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') this.toSockets(err);
        else this.fail(new Error(`mkfifo failed: ${err.message.trim()}`));
        return;
      }
      this.wake();
    });
  }

  private toSockets(err: Error): void {
    console.error(`bl-daemon: cannot run mkfifo (${err.message.trim()}): workers' output comes through sockets, which a program that opens /dev/stdout by name cannot reopen`);
    this.sockets = new SocketPairs();
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) this.sockets.whenReady(w.n).then(w.resolve, w.reject);
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.ready.length < w.n) return true;
      w.resolve();
      return false;
    });
    // A waiter for more than what came: the next batch is on its way.
    this.fill();
  }

  private fail(e: Error): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(e);
  }
}

/**
 * Opens both ends of a FIFO we made and unlinks it: a pipe, known to nobody else. One that is
 * not a FIFO of ours (someone else's file at that name) is left alone.
 */
function openFifo(p: string): Pipe | undefined {
  let read: number | undefined;
  try {
    read = openSync(p, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    const st = fstatSync(read);
    if (!st.isFIFO() || st.uid !== process.getuid?.()) {
      closeSync(read);
      return undefined;
    }
    // Blocking: the worker's writes wait on a full pipe. A reader is open, so the open returns at once.
    const write = openSync(p, constants.O_WRONLY);
    unlinkSync(p);
    return { read, write };
  } catch {
    if (read !== undefined) closeSync(read);
    try {
      unlinkSync(p);
    } catch {
      // never made
    }
    return undefined;
  }
}

function pipeChannel(pipe: Pipe): OutputChannel {
  let reader: net.Socket | undefined;
  let childOpen = true;
  const closeChildEnd = () => {
    if (childOpen) closeSync(pipe.write);
    childOpen = false;
  };
  return {
    childEnd: pipe.write,
    reader: () => (reader ??= new net.Socket({ fd: pipe.read, readable: true, writable: false })),
    closeChildEnd,
    discard: () => {
      closeChildEnd();
      if (reader) reader.destroy();
      else closeSync(pipe.read);
    },
  };
}

/** The daemon's channels, for every task. */
export const outputChannels = new OutputChannels();
