// The ZeroMQ SUB socket workers send keep-alives to (docs/spec.md "Keep-alives").
import { Subscriber } from 'zeromq';
import { parseKeepalive, type Keepalive } from './parse.js';

export class KeepaliveListener {
  private readonly sock = new Subscriber();
  private loop: Promise<void> | undefined;
  endpoint = '';

  constructor(private readonly onMessage: (k: Keepalive, frames: Buffer[]) => void, private readonly onDrop: (reason: string) => void) {}

  /** Binds `tcp://host:port` (port 0 = any free port) and starts reading. */
  async bind(host: string, port: number): Promise<string> {
    this.sock.subscribe();
    this.sock.receiveHighWaterMark = 100000;
    await this.sock.bind(`tcp://${host}:${port === 0 ? '*' : port}`);
    this.endpoint = this.sock.lastEndpoint ?? `tcp://${host}:${port}`;
    this.loop = this.read();
    return this.endpoint;
  }

  private async read(): Promise<void> {
    try {
      for await (const frames of this.sock) {
        const r = parseKeepalive(frames);
        if (r.ok) this.onMessage(r.value, frames);
        else this.onDrop(r.reason);
      }
    } catch (e) {
      if (!this.sock.closed) console.error('bl-daemon: keep-alive socket failed:', e);
    }
  }

  async close(): Promise<void> {
    this.sock.close();
    await this.loop;
  }
}
