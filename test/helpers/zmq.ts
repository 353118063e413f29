// Sends keep-alives from a test like a worker would. PUB/SUB drops what is sent before the
// subscription is in place ("slow joiner"), so callers resend until the daemon counted it.
import { Publisher, Subscriber } from 'zeromq';

export class KeepaliveSender {
  private readonly pub = new Publisher();
  constructor(endpoint: string) {
    this.pub.connect(endpoint);
  }
  async send(frames: (string | Buffer)[]): Promise<void> {
    await this.pub.send(frames);
  }
  close(): void {
    this.pub.close();
  }
}

/** Collects [topic, json] events from the daemon's PUB. */
export class EventWatcher {
  private readonly sub = new Subscriber();
  readonly got: { topic: string; body: string }[] = [];
  private loop: Promise<void>;
  constructor(endpoint: string) {
    this.sub.connect(endpoint);
    this.sub.subscribe();
    this.loop = (async () => {
      try {
        for await (const [t, b] of this.sub) this.got.push({ topic: t!.toString(), body: b?.toString() ?? '' });
      } catch {
        // closed
      }
    })();
  }
  async close(): Promise<void> {
    this.sub.close();
    await this.loop;
  }
}
