// Connected socket pairs, the workers' output channels where mkfifo cannot run
// (output-channels.ts). Node makes a socketpair for each stdio 'pipe' and has no call that
// makes one alone: a pair here is a connection to a listening socket of the daemon's own
// (abstract namespace, no file to be cleaned away), known for ours by a random token its
// client end sends first. A few are kept ready, so that a replacement spawns at once; a burst
// waits for more.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { OutputChannel } from './output-channels.js';

export interface SocketPair {
  /** The end a worker gets as fds 1 and 2 (the daemon closes its copy once it has spawned). */
  child: net.Socket;
  /** The end the daemon reads (paused until then). */
  reader: net.Socket;
}

const TOKEN_BYTES = 16;
/** Pairs kept ready between spawns. */
const KEEP_READY = 4;
/** A connection to our own socket is made within a few turns of the event loop; this is "never". */
const READY_TIMEOUT_MS = 5000;

export class SocketPairs {
  private server: net.Server | undefined;
  private address = '';
  private readonly ready: SocketPair[] = [];
  /** Clients connected (or connecting) not yet matched, by their token. */
  private readonly pending = new Map<string, net.Socket>();
  private waiters: { n: number; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private refilling = false;

  /** A ready pair, or undefined (then `whenReady`); the next ones are made after the spawn. */
  take(): OutputChannel | undefined {
    const pair = this.ready.shift();
    if (!this.refilling) {
      this.refilling = true;
      setImmediate(() => {
        this.refilling = false;
        try {
          this.fill(this.demand());
        } catch (e) {
          this.fail(e as Error);
        }
      });
    }
    return pair && pairChannel(pair);
  }

  /** Resolves when `n` pairs are ready; rejects when one cannot be made. */
  whenReady(n: number): Promise<void> {
    if (this.ready.length >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no connection to the daemon's own output socket within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      this.waiters.push({ n, resolve, reject, timer });
      try {
        this.fill(this.demand());
      } catch (e) {
        this.fail(e as Error);
      }
    });
  }

  /** Pairs to have ready or on the way: what the largest waiter waits for, else a few. */
  private demand(): number {
    return Math.max(KEEP_READY, ...this.waiters.map((w) => w.n));
  }

  private fill(n: number): void {
    while (this.ready.length + this.pending.size < n) this.connect();
  }

  private connect(): void {
    this.listen();
    const token = randomBytes(TOKEN_BYTES);
    const key = token.toString('hex');
    const client = net.connect(this.address);
    client.unref();
    this.pending.set(key, client);
    client.once('connect', () => client.write(token));
    client.on('error', (e) => {
      if (this.pending.get(key) !== client) return; // handed to a worker: its errors are not ours
      this.pending.delete(key);
      client.destroy();
      this.fail(e);
    });
  }

  private listen(): void {
    if (this.server) return;
    this.address = `\0bl-output-${process.pid}-${randomBytes(8).toString('hex')}`;
    const server = net.createServer((sock) => this.accepted(sock));
    server.on('error', (e) => {
      this.server = undefined;
      this.fail(e);
    });
    // Bound and listening when listen() returns (a path is not looked up): a connect may follow.
    server.listen(this.address);
    server.unref();
    this.server = server;
  }

  private accepted(sock: net.Socket): void {
    sock.unref();
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length < TOKEN_BYTES) return;
      sock.off('data', onData);
      sock.pause();
      const key = got.toString('hex');
      const client = got.length === TOKEN_BYTES ? this.pending.get(key) : undefined;
      if (!client) {
        sock.destroy(); // not one of ours
        return;
      }
      this.pending.delete(key);
      this.ready.push({ child: client, reader: sock });
      this.wake();
    };
    sock.on('data', onData);
    sock.on('error', () => sock.destroy());
    sock.once('end', () => {
      if (got.length < TOKEN_BYTES) sock.destroy();
    });
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.ready.length < w.n) return true;
      clearTimeout(w.timer);
      w.resolve();
      return false;
    });
  }

  private fail(e: Error): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.waiters = [];
  }
}

function pairChannel(pair: SocketPair): OutputChannel {
  return {
    childEnd: pair.child,
    reader: () => pair.reader,
    closeChildEnd: () => pair.child.destroy(),
    discard: () => {
      pair.child.destroy();
      pair.reader.destroy();
    },
  };
}
