// Wake-ups between daemons sharing a PostgreSQL store: "the queue changed, look again", as
// LISTEN/NOTIFY on one channel. A daemon's writes of one turn of its event loop send one
// NOTIFY (not one per job: a batch of 10,000 submits wakes the others once), outside the jobs'
// own commits. A daemon hears the others' on one connection of its own, which it opens again
// after a loss (a server restart), with a wake-up then: what it missed meanwhile is read anew.
import type pg from 'pg';
import pgLib from 'pg';
import { poolConfig } from '../../state/pg/pg-open.js';
import type { PgTarget } from '../../state/pg/pg-target.js';

export const CHANNEL = 'bl_queue';

export interface WakeupsOptions {
  /** Who this daemon is: its own notifications do not wake it. */
  self: string;
  /** Called after another daemon changed the queue (several notifications, one call a turn). */
  onWake: () => void;
  /** Said once a loss and once a recovery of the listening connection. */
  onProblem?: (message: string | null) => void;
  /** First delay before listening again after a loss; doubles up to 10 s. */
  retryMs?: number;
}

export class PgWakeups {
  private listener: pg.Client | undefined;
  private sendQueued = false;
  private wakeQueued = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private delay: number;
  private lost = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly target: PgTarget,
    private readonly o: WakeupsOptions,
  ) {
    this.delay = o.retryMs ?? 200;
  }

  /** Starts listening; resolves once LISTEN is in force (or rejects with why not). */
  async start(): Promise<void> {
    await this.listen();
  }

  /** The queue changed here: the others hear it once this turn of the event loop is over. */
  changed(): void {
    if (this.sendQueued || this.closed) return;
    this.sendQueued = true;
    setImmediate(() => {
      this.sendQueued = false;
      // A lost notification costs a wake-up, not a job: the others also look again on their own.
      this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, this.o.self]).catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const c = new pgLib.Client({ ...poolConfig(this.target), application_name: 'bl-daemon wake-ups' });
    c.on('notification', (n) => {
      if (n.channel === CHANNEL && n.payload !== this.o.self) this.wake();
    });
    c.on('error', () => this.lose(c, 'the wake-up connection to PostgreSQL failed'));
    c.on('end', () => this.lose(c, 'the wake-up connection to PostgreSQL closed'));
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    if (this.closed) {
      await c.end().catch(() => undefined);
      return;
    }
    this.listener = c;
    this.delay = this.o.retryMs ?? 200;
    if (this.lost) {
      this.lost = false;
      this.o.onProblem?.(null);
      this.wake();
    }
  }

  private wake(): void {
    if (this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      if (!this.closed) this.o.onWake();
    });
  }

  private lose(c: pg.Client, why: string): void {
    if (this.closed || this.listener !== c) return;
    this.listener = undefined;
    c.end().catch(() => undefined);
    if (!this.lost) this.o.onProblem?.(`${why}; listening again`);
    this.lost = true;
    this.again();
  }

  private again(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.listen().catch(() => {
        this.delay = Math.min(this.delay * 2, 10_000);
        this.again();
      });
    }, this.delay);
  }
}
