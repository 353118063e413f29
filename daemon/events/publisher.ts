// The ZeroMQ PUB on internal_port: keep-alives republished as received ([taskname, json]) and
// every lifecycle event as [topic, json], so other programs can watch. zeromq.js allows one
// send at a time, so sends go through a queue; a slow or absent subscriber never blocks us
// (PUB drops at its high-water mark, and our queue is capped too).
import { Publisher } from 'zeromq';

const MAX_QUEUE = 10000;

export class EventPublisher {
  private readonly sock = new Publisher();
  private readonly queue: (Buffer | string)[][] = [];
  private sending = false;
  endpoint = '';

  async bind(host: string, port: number): Promise<string> {
    this.sock.sendHighWaterMark = 10000;
    await this.sock.bind(`tcp://${host}:${port === 0 ? '*' : port}`);
    this.endpoint = this.sock.lastEndpoint ?? `tcp://${host}:${port}`;
    return this.endpoint;
  }

  publish(frames: (Buffer | string)[]): void {
    if (this.sock.closed) return;
    // Full: the oldest goes, as at PUB's own high-water mark.
    if (this.queue.length >= MAX_QUEUE) this.queue.shift();
    this.queue.push(frames);
    if (!this.sending) void this.drain();
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length && !this.sock.closed) await this.sock.send(this.queue.shift()!);
    } catch {
      // closed while sending: the rest has nowhere to go
    } finally {
      this.sending = false;
    }
  }

  close(): void {
    this.queue.length = 0;
    this.sock.close();
  }
}
