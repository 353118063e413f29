// The broker's JobStore on PostgreSQL: every verb is one call into a worker thread that holds
// the connections (pg-store-worker.ts), waited for in place (state/pg/blocking-worker.ts). The
// broker's rules stay one code for both stores: a verb answers before the next line runs, and
// `atomically` is one transaction (BEGIN on one connection, every verb inside joins it), as on
// the embedded SQLite file. The cost is the event loop waiting for each round trip (~0.1–0.3 ms
// on a local socket), as it waits for each SQLite commit.
import type { JobListFilter } from '../../../contract/types.js';
import { BlockingWorker } from '../../state/pg/blocking-worker.js';
import type { PgTarget } from '../../state/pg/pg-target.js';
import type { JobRecord, NewJob } from '../types.js';
import type { TakenOver } from './pg-store.js';
import type {
  ClaimOptions,
  Counts,
  EnqueueResult,
  FinishFields,
  IdMatches,
  JobNote,
  JobStore,
  ListOrder,
  Page,
  PurgeResult,
  PurgeWhat,
  RequeueOptions,
  SettledWaiter,
} from './store.js';

export interface PgSyncStoreOptions {
  target: PgTarget;
  /** This daemon's id in the store (its leases, its row in bl_daemons). */
  owner: string;
  /** How long a claim holds unless renewed (heartbeat()). */
  leaseMs: number;
  /** How long one connection attempt may take. */
  connectTimeoutMs?: number;
  /** How long a transaction may wait for its next statement before the server ends it (pg-open.ts). */
  idleInTransactionMs?: number;
  /** How long a call may wait for its answer (a purge of millions takes a while). */
  callTimeoutMs?: number;
  /** Another daemon changed the queue. */
  onWake?: () => void;
  /** The wake-up connection was lost (a message) or is back (null). */
  onProblem?: (message: string | null) => void;
  /** The worker thread had died and a new one serves the store (why the old one died). */
  onRestarted?: (why: string) => void;
}

const worker = (): URL => new URL(`./pg-store-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class PgSyncStore implements JobStore {
  /** Several daemons share it: limits and settings are read from it, not from memory. */
  readonly shared = true;
  readonly owner: string;
  private w: BlockingWorker;
  private depth = 0;

  private constructor(private readonly o: PgSyncStoreOptions) {
    this.owner = o.owner;
    this.w = this.start();
  }

  private start(): BlockingWorker {
    const o = this.o;
    return new BlockingWorker({
      module: worker(),
      workerData: { target: o.target, owner: o.owner, leaseMs: o.leaseMs, connectTimeoutMs: o.connectTimeoutMs ?? 10_000, idleInTransactionMs: o.idleInTransactionMs },
      timeoutMs: o.callTimeoutMs ?? 120_000,
      onEvent: (e) => {
        const m = e as { kind: string; message?: string | null };
        if (m.kind === 'wake') o.onWake?.();
        else if (m.kind === 'problem') o.onProblem?.(m.message ?? null);
      },
    });
  }

  /**
   * Connects, migrates the schema and starts listening for other daemons; throws the reason
   * (with the address tried, never the password) when the server cannot be used.
   */
  static async connect(o: PgSyncStoreOptions): Promise<PgSyncStore> {
    const s = new PgSyncStore(o);
    try {
      // Not waited for in place: the worker thread is still starting, and the loop must run to
      // hear of its failure.
      await s.w.callAsync('open');
    } catch (e) {
      void s.w.close();
      throw e;
    }
    return s;
  }

  /** `connect`, waited for in place (tests that need a store at once). */
  static open(o: PgSyncStoreOptions): PgSyncStore {
    const s = new PgSyncStore(o);
    try {
      s.w.call('open');
    } catch (e) {
      void s.w.close();
      throw e;
    }
    return s;
  }

  private c<T>(op: string, ...args: unknown[]): T {
    if (this.w.dead && this.depth === 0) this.restart();
    return this.w.call(op, args) as T;
  }

  /**
   * A worker that died (the thread failed) is replaced at the next call outside a transaction,
   * and the new one opened in place: a call inside a transaction throws instead, since the
   * transaction died with its thread. An open that fails throws why; the next call tries again.
   */
  private restart(): void {
    const old = this.w;
    void old.close();
    this.w = this.start();
    try {
      this.w.call('open');
    } catch (e) {
      void this.w.close();
      this.w = old;
      throw e;
    }
    this.o.onRestarted?.(old.dead!.message);
  }

  atomically<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.c('begin');
    // The transaction lives in this worker: its end goes to it, never to one started since.
    const w = this.w;
    this.depth++;
    let out: T;
    try {
      out = fn();
    } catch (e) {
      this.depth--;
      try {
        if (!w.dead) w.call('rollback');
      } catch {
        // The connection is gone with the transaction: nothing to undo.
      }
      throw e;
    }
    this.depth--;
    w.call('commit');
    return out;
  }

  enqueue(jobs: NewJob[], now: number): EnqueueResult {
    return this.c('enqueue', jobs, now);
  }
  claimNext(opts: ClaimOptions): JobRecord | undefined {
    return this.c('claimNext', opts);
  }
  markStarted(id: string, proc: { pid: number; pgid: number; procStart: number | null }): void {
    this.c('markStarted', id, proc);
  }
  finish(id: string, fields: FinishFields): JobRecord | undefined {
    return this.c('finish', id, fields);
  }
  requeue(id: string, opts: RequeueOptions): JobRecord | undefined {
    return this.c('requeue', id, opts);
  }
  cancelPending(id: string, now: number): JobRecord | undefined {
    return this.c('cancelPending', id, now);
  }
  takeSettled(): SettledWaiter[] {
    return this.c('takeSettled');
  }
  get(id: string): JobRecord | undefined {
    return this.c('get', id);
  }
  getByKey(key: string): JobRecord | undefined {
    return this.c('getByKey', key);
  }
  findSweep(ref: string): string | undefined {
    return this.c('findSweep', ref);
  }
  resolveId(ref: string, show: number): IdMatches {
    return this.c('resolveId', ref, show);
  }
  listPage(filter: JobListFilter | 'all', after: string | undefined, limit: number, order?: ListOrder): Page {
    return this.c('listPage', filter, after, limit, order);
  }
  running(launcher?: string): JobRecord[] {
    return this.c('running', launcher);
  }
  counts(): Counts {
    return this.c('counts');
  }
  purge(what: PurgeWhat): PurgeResult {
    return this.c('purge', what);
  }
  succeededSweeps(keys: string[]): Set<string> {
    return this.c('succeededSweeps', keys);
  }
  getSetting(name: string): string | undefined {
    return this.c('getSetting', name);
  }
  setSetting(name: string, value: string): void {
    this.c('setSetting', name, value);
  }
  addNote(id: string, text: string, at: number): void {
    this.c('addNote', id, text, at);
  }
  notes(id: string): JobNote[] {
    return this.c('notes', id);
  }
  requestCancel(id: string, now: number): string | undefined {
    return this.c('requestCancel', id, now);
  }
  cancelRequests(): string[] {
    return this.c('cancelRequests');
  }

  holdLease(id: string, attempt: number, launcher: string, now: number): boolean {
    return this.c('holdLease', id, attempt, launcher, now);
  }

  /** Says this daemon lives and renews the leases of the jobs it holds; how many it holds. */
  heartbeat(host: string, pid: number, url: string | null, now: number): number {
    return this.c('heartbeat', host, pid, url, now);
  }

  /** Takes over the running jobs of daemons whose leases ran out (pg-store.ts takeOverExpired). */
  takeOverExpired(now: number): TakenOver[] {
    return this.c('takeOverExpired', now);
  }

  /** The daemons that said they were alive since `since`. */
  daemons(since: number): { id: string; host: string; pid: number; url: string | null; startedAt: number; seenAt: number }[] {
    return this.c('daemons', since);
  }

  close(): Promise<void> {
    try {
      this.c('close');
    } catch {
      // Closing a store whose server is gone: nothing more to end.
    }
    return this.w.close();
  }
}
