// Live updates: one EventSource on /events, and a scheduler that turns bursts of events into
// few re-fetches (a 10,000-job submit is 10,000 events, not 10,000 page loads).
import { eventsUrl } from './api.js';

/** Every topic the daemon publishes (EventSource has no wildcard listener for named events). */
export const TOPICS = [
  'worker.started', 'worker.exited', 'worker.stalled', 'worker.killed', 'worker.spawn_failed',
  'task.started', 'task.stopped', 'task.scaled', 'task.flapping', 'task.recovered', 'task.restarting', 'task.restarted',
  'job.submitted', 'job.started', 'job.finished', 'job.requeued',
  'broker.concurrency', 'broker.urgent_bypass', 'broker.purged', 'broker.exit_workers',
  'alloc.submitted', 'alloc.started', 'alloc.connected', 'alloc.ended', 'alloc.failed', 'alloc.paused', 'alloc.resumed',
  'daemon.stopping', 'resync',
] as const;

export type LiveState = 'live' | 'connecting' | 'down';

export interface LiveHandlers {
  event(topic: string, data: Record<string, unknown>): void;
  /** Connected (first time or again): what happened meanwhile is unknown, refetch. */
  opened(): void;
  state(s: LiveState): void;
}

export class LiveEvents {
  private source: EventSource | undefined;
  private lastId: string | null = null;
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly on: LiveHandlers) {}

  start(): void {
    this.stop();
    // A new EventSource does not carry Last-Event-ID over; the query does.
    const es = new EventSource(eventsUrl(this.lastId));
    this.source = es;
    this.on.state('connecting');
    es.addEventListener('open', () => {
      this.on.state('live');
      this.on.opened();
    });
    es.addEventListener('error', () => {
      // The browser retries by itself after a dropped stream (readyState CONNECTING); a
      // refusal (401, daemon gone) closes it for good, so we try again ourselves.
      if (es.readyState === EventSource.CLOSED) {
        this.on.state('down');
        this.retry = setTimeout(() => this.start(), 3000);
      } else {
        this.on.state('connecting');
      }
    });
    for (const topic of TOPICS) {
      es.addEventListener(topic, (ev) => {
        const m = ev as MessageEvent<string>;
        if (m.lastEventId) this.lastId = m.lastEventId;
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse(m.data) as Record<string, unknown>;
        } catch {
          // a frame we cannot read still tells that something changed
        }
        this.on.event(topic, data);
      });
    }
  }

  stop(): void {
    if (this.retry) clearTimeout(this.retry);
    this.source?.close();
    this.source = undefined;
  }
}

/**
 * Marks areas of the page stale and re-fetches them at most once per `delay`, never two
 * fetches of one area at a time; marks that come during a fetch schedule one more round.
 */
export class Refresher<A extends string> {
  private readonly dirty = new Set<A>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private busy = false;

  constructor(
    private readonly loaders: Record<A, () => Promise<void>>,
    private readonly delay = 150,
  ) {}

  mark(...areas: A[]): void {
    for (const a of areas) this.dirty.add(a);
    if (this.timer === undefined && !this.busy) this.timer = setTimeout(() => void this.flush(), this.delay);
  }

  all(): void {
    this.mark(...(Object.keys(this.loaders) as A[]));
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    this.busy = true;
    const areas = [...this.dirty];
    this.dirty.clear();
    await Promise.allSettled(areas.map((a) => this.loaders[a]()));
    this.busy = false;
    if (this.dirty.size > 0) this.timer = setTimeout(() => void this.flush(), this.delay);
  }
}
