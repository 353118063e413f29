// Dispatch latency and run time of jobs, measured from the broker's events: the
// bus already carries job.submitted / job.requeued / job.started / job.finished with their
// times, so the broker needs no metrics code of its own.
import type { BlEvent } from '../events/bus.js';

export interface JobTimingSink {
  /** Seconds from joining a queue (submit or re-queue) to the start of the run. */
  dispatched(seconds: number): void;
  /** Seconds from the start of a run to its end, with the end state. */
  finished(state: string, seconds: number | undefined): void;
}

/** A submit of a million jobs must not grow this without end: past this, the store answers. */
const MAX_WAITING = 10_000;

export class JobTiming {
  /** Job id → when it (re)joined its queue. Insertion order = age, for the cap. */
  private readonly waiting = new Map<string, number>();
  /** Job id → when its run started (bounded by the concurrency). */
  private readonly running = new Map<string, number>();

  constructor(
    private readonly sink: JobTimingSink,
    /** When the job joined its queue, for jobs queued before this daemon started. */
    private readonly queuedAt: (id: string) => number | undefined = () => undefined,
  ) {}

  onEvent(e: BlEvent): void {
    const id = typeof e.data.id === 'string' ? e.data.id : undefined;
    switch (e.topic) {
      case 'job.submitted':
      case 'job.released':
      case 'job.requeued':
        if (!id) return;
        this.running.delete(id);
        this.waiting.delete(id);
        // Full: later jobs are timed from the store (queuedAt). Evicting the oldest instead
        // made a million-job submit quadratic: a Map walks its deleted slots to find the head.
        if (this.waiting.size < MAX_WAITING) this.waiting.set(id, e.time);
        return;
      case 'job.started': {
        if (!id) return;
        const since = this.waiting.get(id) ?? this.queuedAt(id);
        this.waiting.delete(id);
        this.running.set(id, e.time);
        if (since !== undefined) this.sink.dispatched(Math.max(0, e.time - since) / 1000);
        return;
      }
      case 'job.finished': {
        if (!id) return;
        const start = this.running.get(id);
        this.running.delete(id);
        this.waiting.delete(id);
        // A pending job cancelled, or one lost at recovery, never ran: no run time.
        this.sink.finished(String(e.data.state ?? 'unknown'), start === undefined ? undefined : Math.max(0, e.time - start) / 1000);
        return;
      }
      case 'broker.purged':
        // `all` and `pending` remove every pending job (running ones are never purged).
        if (e.data.what === 'all' || e.data.what === 'pending') this.waiting.clear();
        return;
    }
  }

  get tracked(): { waiting: number; running: number } {
    return { waiting: this.waiting.size, running: this.running.size };
  }
}
