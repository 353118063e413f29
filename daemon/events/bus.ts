// In-process event bus. Every lifecycle event (worker.*, task.*, job.*) goes through here;
// the ZeroMQ PUB and the SSE route (/events) subscribe. Ids are increasing integers so a
// reconnecting SSE client resumes with Last-Event-ID from the ring buffer.

export interface BlEvent {
  id: number;
  topic: string;
  time: number;
  data: Record<string, unknown>;
}

export type Listener = (e: BlEvent) => void;

export class EventBus {
  private nextId = 1;
  private readonly ring: BlEvent[] = [];
  private readonly listeners = new Set<Listener>();
  constructor(private readonly keep = 10000) {}

  publish(topic: string, data: Record<string, unknown>): BlEvent {
    const e: BlEvent = { id: this.nextId++, topic, time: Date.now(), data };
    this.ring.push(e);
    // Trimmed in steps of a tenth: a splice at every publish moved the whole ring each time,
    // quadratic in a burst (10,000 job.submitted events of one submit took 2.7 s).
    if (this.ring.length > this.keep + Math.ceil(this.keep / 10)) this.ring.splice(0, this.ring.length - this.keep);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a broken listener must not stop the others or the publisher
      }
    }
    return e;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Events after `id` still in the buffer (for Last-Event-ID). */
  since(id: number): BlEvent[] {
    const i = this.ring.findIndex((e) => e.id > id);
    return i < 0 ? [] : this.ring.slice(i);
  }

  get lastId(): number {
    return this.nextId - 1;
  }
}
