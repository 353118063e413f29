// A daemon on a shared PostgreSQL store keeps its claims alive and picks up what others lost:
// every third of the lease it says it lives and renews the leases of the jobs it holds, then
// takes over the running jobs of daemons whose leases ran out (pg-store.ts takeOverExpired:
// re-queued as their next attempt, or lost when no retries remain) and wakes the broker.
import type { EventBus } from '../../events/bus.js';
import type { PgSyncStore } from './pg-sync-store.js';

export interface LeaseKeeperOptions {
  store: PgSyncStore;
  events: EventBus;
  leaseMs: number;
  host: string;
  url: () => string | null;
  /** Look at the queue again: dispatch, and kill what another daemon was asked to cancel. */
  wake: () => void;
  /** The leases were renewed: the jobs running here that the store no longer gives this daemon are not its own any more. */
  renewed: () => void;
  /** The store could not be reached (a message), or can again (null); said once each way. */
  onProblem: (message: string | null) => void;
}

export class PgLeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(private readonly o: LeaseKeeperOptions) {}

  start(): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), Math.max(100, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private beat(): void {
    const { store, events } = this.o;
    try {
      const now = Date.now();
      store.heartbeat(this.o.host, process.pid, this.o.url(), now);
      this.o.renewed();
      const taken = store.takeOverExpired(now);
      for (const { job } of taken) {
        if (job.state === 'pending') events.publish('job.requeued', { id: job.id, attempt: job.attempt, reason: job.reason });
        else events.publish('job.finished', { id: job.id, state: job.state, reason: job.reason });
      }
      // Also what a lost wake-up from another daemon would have said (a job to start, a cancel
      // asked of this daemon): looked at once a beat whatever came.
      this.o.wake();
      if (this.failing) this.o.onProblem(null);
      this.failing = false;
    } catch (e) {
      // Running jobs go on; their leases are renewed at the next beat that reaches the store.
      if (!this.failing) this.o.onProblem(`cannot renew the leases of this daemon's jobs: ${(e as Error).message}`);
      this.failing = true;
    }
  }
}
