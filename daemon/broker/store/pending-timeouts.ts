// How many pending jobs of each queue have each timeout (null: none), kept beside the store's
// counts: a claim for a launcher with little time left (bl-launcher under Slurm) asks first
// whether any pending job fits at all, so a queue of a million long jobs costs such a launcher
// no walk of the pending index on every dispatch round. In memory, loaded once at open.
import type { Queue } from '../types.js';

export class PendingTimeouts {
  private readonly byQueue: Record<Queue, Map<number | null, number>> = { urgent: new Map(), normal: new Map() };

  add(queue: Queue, timeout: number | null, n = 1): void {
    const m = this.byQueue[queue];
    m.set(timeout, (m.get(timeout) ?? 0) + n);
  }

  remove(queue: Queue, timeout: number | null): void {
    const m = this.byQueue[queue];
    const n = (m.get(timeout) ?? 0) - 1;
    if (n > 0) m.set(timeout, n);
    else m.delete(timeout);
  }

  /**
   * Whether a pending job of `queues` has no timeout or one of at most `max` seconds. Costs one
   * step a distinct timeout at most (submits use a handful), and stops at the first that fits.
   */
  anyFits(queues: readonly Queue[], max: number): boolean {
    for (const q of queues) {
      for (const t of this.byQueue[q].keys()) if (t === null || t <= max) return true;
    }
    return false;
  }
}
