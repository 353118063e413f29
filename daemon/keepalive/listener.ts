// The ZeroMQ SUB socket workers send keep-alives to (docs/spec.md "Keep-alives"). Anyone who
// reaches the port can send anything, so nothing a sender does may stop it: frames over
// `maxMessageSize` are refused by libzmq before they are read into memory (it closes that
// sender's connection), a message that makes the handler throw is dropped alone, and a read
// that fails starts the loop again. While the loop does not run, `problem` says why (GET
// /healthz answers 503 with it): every worker would otherwise look stalled.
import { Subscriber } from 'zeromq';
import { parseKeepalive, type Keepalive } from './parse.js';

export interface ListenerOptions {
  /** The largest message accepted, in bytes (ZMQ_MAXMSGSIZE; the sum of its frames). */
  maxMessageSize: number;
  onMessage: (k: Keepalive, frames: Buffer[]) => void;
  onDrop: (reason: string) => void;
  /** A failed read, and whether the loop starts again. */
  onError: (message: string) => void;
}

/** Waits between restarts of a read loop that keeps failing: 10 ms doubling up to 1 s. */
const RESTART_MIN_MS = 10;
const RESTART_MAX_MS = 1000;

export class KeepaliveListener {
  /** Its socket; the listener owns it (reachable for what it reports when closed by another hand). */
  readonly sock = new Subscriber();
  private loop: Promise<void> | undefined;
  private closing = false;
  private restartMs = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Why keep-alives are not being read now; undefined while the loop runs. */
  problem: string | undefined;
  endpoint = '';

  constructor(private readonly o: ListenerOptions) {}

  /** Binds `tcp://host:port` (port 0 = any free port) and starts reading. */
  async bind(host: string, port: number): Promise<string> {
    this.sock.subscribe();
    this.sock.receiveHighWaterMark = 100000;
    this.sock.maxMessageSize = this.o.maxMessageSize;
    await this.sock.bind(`tcp://${host}:${port === 0 ? '*' : port}`);
    this.endpoint = this.sock.lastEndpoint ?? `tcp://${host}:${port}`;
    this.loop = this.read();
    return this.endpoint;
  }

  private async read(): Promise<void> {
    try {
      for await (const frames of this.sock) {
        this.problem = undefined;
        this.restartMs = RESTART_MIN_MS;
        this.handle(frames);
      }
      // The iteration ends only when the socket is closed.
      if (!this.closing) this.problem = 'the keep-alive socket was closed; keep-alives are not read';
    } catch (e) {
      if (this.closing || this.sock.closed) {
        if (!this.closing) this.problem = `the keep-alive socket was closed (${(e as Error).message}); keep-alives are not read`;
        return;
      }
      const msg = (e as Error).message;
      this.problem = `reading the keep-alive socket failed (${msg}); reading again`;
      this.o.onError(`reading the keep-alive socket failed: ${msg}; reading again in ${this.restartMs} ms`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!this.closing) this.loop = this.read();
      }, this.restartMs);
      this.restartMs = Math.min(RESTART_MAX_MS, this.restartMs * 2);
    }
  }

  /** One message: whatever it holds, and whatever the handler does with it, only it is lost. */
  private handle(frames: Buffer[]): void {
    try {
      const r = parseKeepalive(frames);
      if (r.ok) this.o.onMessage(r.value, frames);
      else this.o.onDrop(r.reason);
    } catch (e) {
      this.o.onDrop(`the keep-alive could not be handled: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.sock.close();
    await this.loop;
  }
}
