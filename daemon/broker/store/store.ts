// The broker's store in queue verbs (BullMQ's backend idea): SQLite today, a shared store
// later; test/daemon/broker/store/store-contract.ts is the one suite every store must pass.
import { JOB_STATES, type JobListFilter, type JobState, type UsageJson } from '../../../contract/types.js';
import type { JobRecord, NewJob, Queue } from '../types.js';

export interface EnqueueResult {
  /** One per submitted job, in submit order; an idempotency-key hit gives the earlier job. */
  jobs: JobRecord[];
  /** Per job: true when it is an earlier job returned for its idempotency key. */
  reused: boolean[];
}

export interface ClaimOptions {
  /** Only the urgent queue (urgent bypass beyond the limit). */
  urgentOnly: boolean;
  /**
   * Only a job whose timeout is at most this many seconds, or that has none (a launcher with
   * that much time left; a job of unknown length goes to any launcher that leases at all).
   * The jobs passed over keep their places. Undefined: any job.
   */
  maxTimeout?: number | undefined;
  launcher: string;
  host: string;
  now: number;
  /**
   * A shared store: the daemon whose launcher runs the job holds it until `until` (ms) unless
   * it renews; past that any daemon may re-queue it. The embedded store has one daemon and
   * ignores it (its recovery at start plays that part).
   */
  lease?: { owner: string; until: number } | undefined;
}

export interface FinishFields {
  state: JobState;
  exitCode: number | null;
  signal: string | null;
  usage: UsageJson | null;
  reason: string | null;
  now: number;
}

export interface RequeueOptions {
  /** true: ahead of every pending job of its queue (crash recovery, drain). */
  head: boolean;
  attempt: number;
  reason: string | null;
}

export interface Page {
  jobs: JobRecord[];
  next: string | null;
}

/**
 * `asc`: pending jobs in dispatch order (urgent first, then by position), the others oldest
 * first; `desc`: newest submitted first, whatever the filter.
 */
export type ListOrder = 'asc' | 'desc';

/** The short id people see (the dashboard shows the last 8 characters of an id). */
export const SHORT_ID_LENGTH = 8;
/** resolveId counts its matches up to this many: a one-letter prefix must not count a million. */
export const MATCH_COUNT_CAP = 1000;

export interface IdMatches {
  /** The first `show` of the jobs the reference names, newest first. */
  jobs: JobRecord[];
  /** How many jobs it names, counted up to MATCH_COUNT_CAP (at least that many when equal). */
  count: number;
}

export type PurgeWhat = 'all' | 'completed' | 'pending';

export interface PurgeResult {
  removed: number;
  /** Ids of removed jobs that had run, so have a log file to remove. */
  withLogs: string[];
}

/** A waiting job (`after`) the end of what it waited on released or cancelled. */
export interface SettledWaiter {
  job: JobRecord;
  /** true: now pending; false: now cancelled (its reason names the job that ended otherwise). */
  released: boolean;
}

export interface Counts {
  byState: Record<JobState, number>;
  pendingByQueue: Record<Queue, number>;
}

export interface JobStore {
  /**
   * Several daemons share it (PostgreSQL): the concurrency limit and urgent bypass are read from
   * it at each claim, as another daemon may have changed them.
   */
  readonly shared?: boolean;
  /**
   * A shared store: this daemon now answers for a running job of `launcher` at `attempt`
   * (the launcher moved here from a daemon it no longer reaches); false when the job is not
   * that run any more.
   */
  holdLease?(id: string, attempt: number, launcher: string, now: number): boolean;
  /**
   * Runs `fn` (calls of these verbs) as one transaction: all of its writes or none, one commit.
   * The broker writes a job's end and the claims it frees a slot for together.
   */
  atomically<T>(fn: () => T): T;
  /**
   * All in one transaction, committed before it returns. A job with `after` (resolved ids of
   * jobs and sweeps, dependencies.ts) is stored `waiting` while one is open, `pending` when
   * all have succeeded, `cancelled` when one ended otherwise (unless `afterAny`).
   */
  enqueue(jobs: NewJob[], now: number): EnqueueResult;
  /**
   * Takes the head job (urgent first, FIFO; with `maxTimeout`, the first that fits) and marks
   * it running, atomically.
   */
  claimNext(opts: ClaimOptions): JobRecord | undefined;
  /** Records the process of a running job (for crash recovery). */
  markStarted(id: string, proc: { pid: number; pgid: number; procStart: number | null }): void;
  /**
   * Ends a running job; undefined when it was not running (cancelled, purged). The jobs waiting
   * on it are released or cancelled in the same transaction (and theirs, in turn).
   */
  finish(id: string, fields: FinishFields): JobRecord | undefined;
  /** A running or ended job back to pending. */
  requeue(id: string, opts: RequeueOptions): JobRecord | undefined;
  /** A pending or waiting job to `cancelled` (and what waits on it); undefined when it was neither. */
  cancelPending(id: string, now: number): JobRecord | undefined;
  /**
   * The waiting jobs that ends written since the last call released or cancelled, in order
   * (for their events); those of a transaction rolled back are dropped with it.
   */
  takeSettled(): SettledWaiter[];
  get(id: string): JobRecord | undefined;
  /** The job with this idempotency key. */
  getByKey(key: string): JobRecord | undefined;
  /** The sweep `ref` names: its id, or the key it was submitted with (its jobs' keys are `key/…`). */
  findSweep(ref: string): string | undefined;
  /**
   * The jobs `ref` names, letters matched whatever their case: the job whose id it is, every
   * job whose id starts with it, and, when it is SHORT_ID_LENGTH long, every job whose id ends
   * with it. Found through indexes: a store of a million jobs is not scanned.
   */
  resolveId(ref: string, show: number): IdMatches;
  /** A page of `limit` jobs; `after`: the last job of the page before, in this order. */
  listPage(filter: JobListFilter | 'all', after: string | undefined, limit: number, order?: ListOrder): Page;
  running(launcher?: string): JobRecord[];
  counts(): Counts;
  /** `pending` removes the waiting jobs too (nothing of either ran); `all` all but the running. */
  purge(what: PurgeWhat): PurgeResult;
  /** Of these sweep keys (sweep.ts), the ones a job with that key has succeeded for. */
  succeededSweeps(keys: string[]): Set<string>;
  getSetting(name: string): string | undefined;
  setSetting(name: string, value: string): void;
  /**
   * Keeps a note on a job that is not its own end: a late report that was refused (a launcher's
   * whose lease had expired, a daemon's whose job was taken over), kept for GET /jobs/:id/notes
   * after the event buffer has moved on. A purge of the job removes its notes.
   */
  addNote(id: string, text: string, at: number): void;
  /** A job's notes, oldest first. */
  notes(id: string): JobNote[];
  /**
   * On a store shared by daemons: asks the daemon that holds running job `id` to cancel it;
   * the id of that daemon, or undefined when no other daemon holds it (the embedded store
   * has no other). The request stands until the job ends.
   */
  requestCancel(id: string, now: number): string | undefined;
  /** The running jobs this daemon holds that another daemon was asked to cancel. */
  cancelRequests(): string[];
}

export interface JobNote {
  at: number;
  text: string;
}

export function zeroCounts(): Counts {
  return {
    byState: Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>,
    pendingByQueue: { urgent: 0, normal: 0 },
  };
}
