// JobStore on the daemon's SQLite file. Pending jobs stay on disk: dispatch claims the head
// with one indexed UPDATE … RETURNING (partial index on pending rows by queue and position),
// so a queue of a million costs no memory. Counts are kept in memory, loaded once at open.
import { BlError, describe } from '../../../contract/errors.js';
import type { JobListFilter, JobState } from '../../../contract/types.js';
import type { Db } from '../../state/db.js';
import { monotonicFactory } from 'ulid';
import type { ClaimOptions, Counts, EnqueueResult, FinishFields, IdMatches, JobStore, ListOrder, Page, PurgeResult, PurgeWhat, RequeueOptions } from './store.js';
import { MATCH_COUNT_CAP, SHORT_ID_LENGTH, zeroCounts } from './store.js';
import type { JobRecord, NewJob, Queue } from '../types.js';
import { PendingTimeouts } from './pending-timeouts.js';
import { decideAtSubmit, isSweepId, type DependencyStatus } from '../dependencies.js';
import { dependencyStatus, drive, settleWaiters, type WalkStep } from '../dependency-walk.js';
import type { JobNote, SettledWaiter } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS broker_jobs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  queue_rank INTEGER NOT NULL,          -- 0 urgent, 1 normal: the claim order
  pos INTEGER NOT NULL,                 -- FIFO position in its queue; head re-queues go below
  phase INTEGER NOT NULL,               -- 0 pending, 1 running, 2 ended, 3 waiting (after)
  state TEXT NOT NULL,
  command TEXT, argv TEXT, http TEXT,
  cwd TEXT NOT NULL, env TEXT NOT NULL,
  timeout REAL, idle_cpu TEXT, retries INTEGER NOT NULL,
  key TEXT, labels TEXT NOT NULL, params TEXT,
  attempt INTEGER NOT NULL,
  launcher TEXT, host TEXT,
  pid INTEGER, pgid INTEGER, proc_start INTEGER,
  submitted_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
  exit_code INTEGER, signal TEXT, usage TEXT, reason TEXT
);
CREATE INDEX IF NOT EXISTS broker_jobs_pending ON broker_jobs(queue_rank, pos, timeout) WHERE phase = 0;
CREATE INDEX IF NOT EXISTS broker_jobs_phase ON broker_jobs(phase, id);
CREATE UNIQUE INDEX IF NOT EXISTS broker_jobs_key ON broker_jobs(key) WHERE key IS NOT NULL;
-- The short id people copy from the dashboard: the last 8 characters (SHORT_ID_LENGTH).
CREATE INDEX IF NOT EXISTS broker_jobs_short_id ON broker_jobs(substr(id, -8));
CREATE TABLE IF NOT EXISTS broker_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
-- What waiting jobs still wait on (dependencies.ts): a row goes when it is resolved.
CREATE TABLE IF NOT EXISTS broker_job_deps (
  on_id TEXT NOT NULL,                  -- a job id or a sweep id
  job_id TEXT NOT NULL,                 -- the waiting job
  PRIMARY KEY (on_id, job_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS broker_job_deps_job ON broker_job_deps(job_id);
-- Notes on a job that are not its end (JobStore.addNote).
CREATE TABLE IF NOT EXISTS broker_job_notes (
  seq INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS broker_job_notes_job ON broker_job_notes(job_id, seq);
`;

/** Columns a store file written by an older bl lacks, added at open. */
const ADDED_COLUMNS: [string, string][] = [
  ['sweep_key', 'TEXT'], // a sweep combination's name (sweep.ts)
  ['sweep_id', 'TEXT'], // the sweep (one submit's combinations) a job belongs to
  ['after', 'TEXT'], // JSON: the job and sweep ids it waits on
  ['after_any', 'INTEGER'],
  ['limits', 'TEXT'], // JSON: memory_max, cpu_max, pids_max (contract/limits.ts)
  ['log_output', 'TEXT'], // JSON: log_max_bytes, log_keep, log_timestamps (contract/run.ts LogOutput)
];

// The planner, without statistics, may take the phase index and sort every pending row:
// with a million pending that is a sort per claim. The head is named by the partial index.
export const HEAD_ANY = `SELECT seq FROM broker_jobs INDEXED BY broker_jobs_pending WHERE phase = 0 ORDER BY queue_rank, pos LIMIT 1`;
export const HEAD_URGENT = `SELECT seq FROM broker_jobs INDEXED BY broker_jobs_pending WHERE phase = 0 AND queue_rank = 0 ORDER BY pos LIMIT 1`;
// The head among the jobs that fit a launcher's time left: the same index walked in dispatch
// order, the timeout read from the index entry (no table row for a job passed over). What a
// claim costs is the number of jobs passed over before the first that fits; when none fits,
// PendingTimeouts says so and no query runs.
const FITS = `(timeout IS NULL OR timeout <= ?)`;
export const HEAD_FIT_ANY = `SELECT seq FROM broker_jobs INDEXED BY broker_jobs_pending WHERE phase = 0 AND ${FITS} ORDER BY queue_rank, pos LIMIT 1`;
export const HEAD_FIT_URGENT = `SELECT seq FROM broker_jobs INDEXED BY broker_jobs_pending WHERE phase = 0 AND queue_rank = 0 AND ${FITS} ORDER BY pos LIMIT 1`;
// resolveId: a prefix is a range of the id index (ids are ASCII, so every id that starts with
// the prefix sorts below prefix + U+FFFF); a short id is a lookup in the index on the suffix.
export const IDS_WITH_PREFIX = `SELECT id FROM broker_jobs WHERE id >= ? AND id < ? ORDER BY id DESC LIMIT ?`;
export const IDS_WITH_SUFFIX = `SELECT id FROM broker_jobs INDEXED BY broker_jobs_short_id WHERE substr(id, -${SHORT_ID_LENGTH}) = ? LIMIT ?`;

export type Row = Record<string, unknown>;

export const rank = (q: Queue): number => (q === 'urgent' ? 0 : 1);
const CLAIM_SET = `phase = 1, state = 'running', launcher = ?, host = ?, started_at = ?,
  finished_at = NULL, exit_code = NULL, signal = NULL, usage = NULL, reason = NULL, pid = NULL, pgid = NULL, proc_start = NULL`;
export const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const parse = <T>(v: unknown): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : null);

export function toRecord(r: Row): JobRecord {
  return {
    id: r.id as string,
    command: (r.command as string | null) ?? null,
    argv: parse(r.argv),
    http: parse(r.http),
    cwd: r.cwd as string,
    env: parse(r.env) ?? {},
    queue: r.queue_rank === 0 ? 'urgent' : 'normal',
    timeout: (r.timeout as number | null) ?? null,
    idleCpu: parse(r.idle_cpu),
    retries: r.retries as number,
    key: (r.key as string | null) ?? null,
    labels: parse(r.labels) ?? {},
    params: parse(r.params),
    sweep: (r.sweep_id as string | null) ?? null,
    after: parse<string[]>(r.after) ?? [],
    afterAny: r.after_any === 1,
    limits: parse(r.limits),
    logOutput: parse(r.log_output),
    state: r.state as JobState,
    attempt: r.attempt as number,
    launcher: (r.launcher as string | null) ?? null,
    host: (r.host as string | null) ?? null,
    pid: (r.pid as number | null) ?? null,
    pgid: (r.pgid as number | null) ?? null,
    procStart: (r.proc_start as number | null) ?? null,
    submittedAt: r.submitted_at as number,
    startedAt: (r.started_at as number | null) ?? null,
    finishedAt: (r.finished_at as number | null) ?? null,
    exitCode: (r.exit_code as number | null) ?? null,
    signal: (r.signal as string | null) ?? null,
    usage: parse(r.usage),
    reason: (r.reason as string | null) ?? null,
  };
}

/** A literal in one fixed shape: a spread of the submit into 28 fields cost 30 µs a job. */
export function newRecord(j: NewJob, id: string, now: number, state: JobState, reason: string | null): JobRecord {
  return {
    id, command: j.command, argv: j.argv, http: j.http ?? null, cwd: j.cwd, env: j.env, queue: j.queue, timeout: j.timeout,
    idleCpu: j.idleCpu, retries: j.retries, key: j.key, labels: j.labels, params: j.params ?? null, sweep: j.sweep ?? null,
    after: j.after ?? [], afterAny: j.afterAny ?? false, limits: j.limits ?? null, logOutput: j.logOutput ?? null, state, attempt: 1,
    launcher: null, host: null, pid: null, pgid: null, procStart: null, submittedAt: now, startedAt: null,
    finishedAt: state === 'cancelled' ? now : null, exitCode: null, signal: null, usage: null, reason,
  };
}

/** The phase (the column the indexes use) of a job stored in this state at a submit. */
export const PHASE_OF: Partial<Record<JobState, number>> = { pending: 0, waiting: 3, cancelled: 2 };

export class SqliteStore implements JobStore {
  private readonly ulid = monotonicFactory();
  private nextPos: number;
  private readonly tally: Counts;
  /** Undefined while unknown (a reload after a rollback failed): claims then just query. */
  private timeouts: PendingTimeouts | undefined;
  /** Waiting jobs released or cancelled since the last takeSettled(). */
  private settled: SettledWaiter[] = [];
  private readonly inTx: (fn: () => unknown) => unknown;
  private readonly stmt;

  constructor(private readonly db: Db) {
    db.exec(SCHEMA);
    // A store file written by a bl that had no sweeps lacks the column. The index is partial:
    // plain jobs cost it nothing.
    const have = new Set((db.prepare(`PRAGMA table_info(broker_jobs)`).all() as { name: string }[]).map((c) => c.name));
    for (const [name, type] of ADDED_COLUMNS) if (!have.has(name)) db.exec(`ALTER TABLE broker_jobs ADD COLUMN ${name} ${type}`);
    db.exec(`CREATE INDEX IF NOT EXISTS broker_jobs_sweep ON broker_jobs(sweep_key) WHERE sweep_key IS NOT NULL`);
    db.exec(`CREATE INDEX IF NOT EXISTS broker_jobs_sweep_id ON broker_jobs(sweep_id, phase) WHERE sweep_id IS NOT NULL`);
    // A store file written before claims had a max-timeout has the pending index without the
    // timeout: built again once (a pass over the pending rows).
    if ((db.prepare(`PRAGMA index_info(broker_jobs_pending)`).all() as unknown[]).length < 3) {
      db.exec(`DROP INDEX broker_jobs_pending; CREATE INDEX broker_jobs_pending ON broker_jobs(queue_rank, pos, timeout) WHERE phase = 0`);
    }
    const st = <T extends unknown[] = unknown[]>(sql: string) => db.prepare<T>(sql);
    this.stmt = {
      insert: st(`INSERT INTO broker_jobs (id, queue_rank, pos, phase, state, command, argv, cwd, env, timeout, idle_cpu,
        retries, key, labels, attempt, submitted_at, http, params, sweep_key, sweep_id, after, after_any, finished_at, reason, limits, log_output)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      addDep: st(`INSERT OR IGNORE INTO broker_job_deps (on_id, job_id) VALUES (?, ?)`),
      waitersOf: st(`SELECT job_id FROM broker_job_deps WHERE on_id = ?`),
      openDeps: st(`SELECT COUNT(*) AS n FROM broker_job_deps WHERE job_id = ?`),
      dropDep: st(`DELETE FROM broker_job_deps WHERE on_id = ? AND job_id = ?`),
      dropDepsOf: st(`DELETE FROM broker_job_deps WHERE job_id = ?`),
      release: st(`UPDATE broker_jobs SET phase = 0, state = 'pending' WHERE id = ? AND phase = 3 RETURNING *`),
      cancelWaiting: st(`UPDATE broker_jobs SET phase = 2, state = 'cancelled', finished_at = ?, reason = ? WHERE id = ? AND phase = 3 RETURNING *`),
      sweepOpen: st(`SELECT 1 FROM broker_jobs INDEXED BY broker_jobs_sweep_id WHERE sweep_id = ? AND phase IN (0, 1, 3) LIMIT 1`),
      sweepFailed: st(`SELECT id, state FROM broker_jobs INDEXED BY broker_jobs_sweep_id WHERE sweep_id = ? AND phase = 2 AND state <> 'succeeded' LIMIT 1`),
      sweepAny: st(`SELECT 1 FROM broker_jobs INDEXED BY broker_jobs_sweep_id WHERE sweep_id = ? LIMIT 1`),
      sweepByKey: st(`SELECT sweep_id FROM broker_jobs WHERE key >= ? AND key < ? AND sweep_id IS NOT NULL LIMIT 1`),
      sweepDone: st(`SELECT 1 FROM broker_jobs INDEXED BY broker_jobs_sweep WHERE sweep_key = ? AND state = 'succeeded' LIMIT 1`),
      byKey: st(`SELECT * FROM broker_jobs WHERE key = ?`),
      byId: st(`SELECT * FROM broker_jobs WHERE id = ?`),
      idsWithPrefix: st(IDS_WITH_PREFIX),
      idsWithSuffix: st(IDS_WITH_SUFFIX),
      claimAny: st(`UPDATE broker_jobs SET ${CLAIM_SET} WHERE seq = (${HEAD_ANY}) RETURNING *`),
      claimUrgent: st(`UPDATE broker_jobs SET ${CLAIM_SET} WHERE seq = (${HEAD_URGENT}) RETURNING *`),
      claimFitAny: st(`UPDATE broker_jobs SET ${CLAIM_SET} WHERE seq = (${HEAD_FIT_ANY}) RETURNING *`),
      claimFitUrgent: st(`UPDATE broker_jobs SET ${CLAIM_SET} WHERE seq = (${HEAD_FIT_URGENT}) RETURNING *`),
      started: st(`UPDATE broker_jobs SET pid = ?, pgid = ?, proc_start = ? WHERE id = ? AND phase = 1`),
      finish: st(`UPDATE broker_jobs SET phase = 2, state = ?, exit_code = ?, signal = ?, usage = ?, reason = ?, finished_at = ?
        WHERE id = ? AND phase = 1 RETURNING *`),
      requeue: st(`UPDATE broker_jobs SET phase = 0, state = 'pending', pos = ?, attempt = ?, reason = ?, launcher = NULL, host = NULL,
        pid = NULL, pgid = NULL, proc_start = NULL, exit_code = NULL, signal = NULL, finished_at = NULL
        WHERE id = ? AND phase IN (1, 2) RETURNING *`),
      headPos: st(`SELECT MIN(pos) AS p FROM broker_jobs INDEXED BY broker_jobs_pending WHERE phase = 0 AND queue_rank = ?`),
      tailPos: st(`SELECT MAX(pos) AS p FROM broker_jobs INDEXED BY broker_jobs_pending WHERE phase = 0 AND queue_rank = ?`),
      maxSeq: st(`SELECT MAX(seq) AS p FROM broker_jobs`),
      cancel: st(`UPDATE broker_jobs SET phase = 2, state = 'cancelled', finished_at = ?, reason = 'cancelled while ' || state
        WHERE id = ? AND phase IN (0, 3) RETURNING *`),
      running: st(`SELECT * FROM broker_jobs WHERE phase = 1 ORDER BY id`),
      tally: st(`SELECT state, queue_rank, COUNT(*) AS n FROM broker_jobs GROUP BY state, queue_rank`),
      pendingTimeouts: st(`SELECT queue_rank, timeout, COUNT(*) AS n FROM broker_jobs INDEXED BY broker_jobs_pending WHERE phase = 0 GROUP BY queue_rank, timeout`),
      getSetting: st(`SELECT value FROM broker_settings WHERE name = ?`),
      setSetting: st(`INSERT INTO broker_settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value`),
      addNote: st(`INSERT INTO broker_job_notes (job_id, at, text) VALUES (?, ?, ?)`),
      notes: st(`SELECT at, text FROM broker_job_notes WHERE job_id = ? ORDER BY seq`),
    };
    // Positions only matter among pending rows; new ones go after every pending and every
    // row ever inserted, found through indexes (no scan of a million rows at start).
    const maxOf = (r: unknown) => ((r as { p: number | null } | undefined)?.p ?? 0);
    this.nextPos = Math.max(maxOf(this.stmt.maxSeq.get()), maxOf(this.stmt.tailPos.get(0)), maxOf(this.stmt.tailPos.get(1))) + 1;
    this.tally = this.loadCounts();
    this.timeouts = this.loadTimeouts();
    this.inTx = this.db.transaction((fn: () => unknown) => fn());
  }

  private loadCounts(): Counts {
    const c = zeroCounts();
    for (const r of this.stmt.tally.all() as { state: JobState; queue_rank: number; n: number }[]) {
      c.byState[r.state] += r.n;
      if (r.state === 'pending') c.pendingByQueue[r.queue_rank === 0 ? 'urgent' : 'normal'] += r.n;
    }
    return c;
  }

  private loadTimeouts(): PendingTimeouts {
    const t = new PendingTimeouts();
    for (const r of this.stmt.pendingTimeouts.all() as { queue_rank: number; timeout: number | null; n: number }[]) {
      t.add(r.queue_rank === 0 ? 'urgent' : 'normal', r.timeout, r.n);
    }
    return t;
  }

  private tryLoadTimeouts(): PendingTimeouts | undefined {
    try {
      return this.loadTimeouts();
    } catch {
      return undefined;
    }
  }

  private move(from: JobState | null, to: JobState | null, job: { queue: Queue; timeout: number | null }): void {
    const { queue } = job;
    if (from) {
      this.tally.byState[from]--;
      if (from === 'pending') {
        this.tally.pendingByQueue[queue]--;
        this.timeouts?.remove(queue, job.timeout);
      }
    }
    if (to) {
      this.tally.byState[to]++;
      if (to === 'pending') {
        this.tally.pendingByQueue[queue]++;
        this.timeouts?.add(queue, job.timeout);
      }
    }
  }

  enqueue(jobs: NewJob[], now: number): EnqueueResult {
    const out: JobRecord[] = [];
    const reused: boolean[] = [];
    const added: JobRecord[] = [];
    const startPos = this.nextPos;
    const tx = this.db.transaction(() => {
      let pos = startPos;
      // A 100,000-job sweep after the same jobs looks them up once.
      const statuses = new Map<string, DependencyStatus>();
      const statusOf = (dep: string) => statuses.get(dep) ?? statuses.set(dep, this.dependencyStatus(dep)).get(dep)!;
      for (const j of jobs) {
        if (j.key !== null) {
          const old = this.stmt.byKey.get(j.key) as Row | undefined;
          if (old) {
            out.push(toRecord(old));
            reused.push(true);
            continue;
          }
        }
        const id = this.ulid(now);
        const after = j.after ?? [];
        const wait = after.length ? decideAtSubmit(j.afterAny ?? false, after.map(statusOf)) : ({ kind: 'pending' } as const);
        const state: JobState = wait.kind;
        const reason = wait.kind === 'cancelled' ? wait.reason : null;
        this.stmt.insert.run(id, rank(j.queue), pos++, PHASE_OF[state]!, state, j.command, json(j.argv), j.cwd, JSON.stringify(j.env), j.timeout,
          json(j.idleCpu), j.retries, j.key, JSON.stringify(j.labels), now, json(j.http), json(j.params), j.sweepKey ?? null,
          j.sweep ?? null, after.length ? JSON.stringify(after) : null, j.afterAny ? 1 : null, state === 'cancelled' ? now : null, reason, json(j.limits), json(j.logOutput));
        if (wait.kind === 'waiting') for (const dep of wait.open) this.stmt.addDep.run(dep, id);
        const rec = newRecord(j, id, now, state, reason);
        added.push(rec);
        reused.push(false);
        out.push(rec);
      }
      return pos;
    });
    this.nextPos = tx();
    for (const j of added) {
      this.move(null, j.state, j);
      if (j.state === 'cancelled') this.settled.push({ job: j, released: false });
    }
    return { jobs: out, reused };
  }

  /** Where a dependency stands now (in the caller's transaction). */
  private dependencyStatus(dep: string): DependencyStatus {
    return drive(dependencyStatus(dep), (s) => this.answer(s));
  }

  /** Settles the jobs waiting on `ended` (dependency-walk.ts), in the caller's transaction. */
  private settleWaiters(ended: JobRecord, now: number): void {
    drive(settleWaiters(ended, now), (s) => this.answer(s));
  }

  /** A dependency walk's step, answered from the file. */
  private answer(s: WalkStep): unknown {
    switch (s.op) {
      case 'waitersOf':
        return (this.stmt.waitersOf.all(s.dep) as { job_id: string }[]).map((r) => r.job_id);
      case 'sweepOpen':
        return this.stmt.sweepOpen.get(s.sweep) !== undefined;
      case 'sweepFailed':
        return this.stmt.sweepFailed.get(s.sweep);
      case 'job': {
        const r = this.stmt.byId.get(s.id) as Row | undefined;
        return r && { phase: r.phase, state: r.state, afterAny: r.after_any === 1 };
      }
      case 'openDeps':
        return (this.stmt.openDeps.get(s.id) as { n: number }).n;
      case 'dropDep':
        return this.stmt.dropDep.run(s.dep, s.id);
      case 'dropDepsOf':
        return this.stmt.dropDepsOf.run(s.id);
      case 'release':
      case 'cancel': {
        const r = (s.op === 'release' ? this.stmt.release.get(s.id) : this.stmt.cancelWaiting.get(s.now, s.reason, s.id)) as Row;
        const job = toRecord(r);
        this.move('waiting', job.state, job);
        return job;
      }
      case 'settled':
        return this.settled.push({ job: s.job, released: s.released });
    }
  }

  takeSettled(): SettledWaiter[] {
    const s = this.settled;
    this.settled = [];
    return s;
  }

  claimNext(o: ClaimOptions): JobRecord | undefined {
    let r: Row | undefined;
    if (o.maxTimeout === undefined) {
      r = (o.urgentOnly ? this.stmt.claimUrgent : this.stmt.claimAny).get(o.launcher, o.host, o.now) as Row | undefined;
    } else {
      this.timeouts ??= this.tryLoadTimeouts();
      if (this.timeouts && !this.timeouts.anyFits(o.urgentOnly ? ['urgent'] : ['urgent', 'normal'], o.maxTimeout)) return undefined;
      r = (o.urgentOnly ? this.stmt.claimFitUrgent : this.stmt.claimFitAny).get(o.launcher, o.host, o.now, o.maxTimeout) as Row | undefined;
    }
    if (!r) return undefined;
    const job = toRecord(r);
    this.move('pending', 'running', job);
    return job;
  }

  markStarted(id: string, p: { pid: number; pgid: number; procStart: number | null }): void {
    this.stmt.started.run(p.pid, p.pgid, p.procStart, id);
  }

  finish(id: string, f: FinishFields): JobRecord | undefined {
    return this.atomically(() => {
      const r = this.stmt.finish.get(f.state, f.exitCode, f.signal, json(f.usage), f.reason, f.now, id) as Row | undefined;
      if (!r) return undefined;
      const job = toRecord(r);
      this.move('running', job.state, job);
      this.settleWaiters(job, f.now);
      return job;
    });
  }

  requeue(id: string, o: RequeueOptions): JobRecord | undefined {
    const before = this.get(id);
    if (!before || before.state === 'pending' || before.state === 'waiting') return undefined;
    let pos: number;
    if (o.head) {
      const head = (this.stmt.headPos.get(rank(before.queue)) as { p: number | null }).p;
      pos = head === null ? this.nextPos++ : head - 1;
    } else {
      pos = this.nextPos++;
    }
    const r = this.stmt.requeue.get(pos, o.attempt, o.reason, id) as Row | undefined;
    if (!r) return undefined;
    this.move(before.state, 'pending', before);
    return toRecord(r);
  }

  cancelPending(id: string, now: number): JobRecord | undefined {
    return this.atomically(() => {
      const r = this.stmt.cancel.get(now, id) as Row | undefined;
      if (!r) return undefined;
      const job = toRecord(r);
      const was: JobState = job.reason === 'cancelled while waiting' ? 'waiting' : 'pending';
      this.move(was, 'cancelled', job);
      if (was === 'waiting') this.stmt.dropDepsOf.run(id);
      this.settleWaiters(job, now);
      return job;
    });
  }

  get(id: string): JobRecord | undefined {
    const r = this.stmt.byId.get(id) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  getByKey(key: string): JobRecord | undefined {
    const r = this.stmt.byKey.get(key) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  findSweep(ref: string): string | undefined {
    if (isSweepId(ref)) return this.stmt.sweepAny.get(ref) !== undefined ? ref : undefined;
    return (this.stmt.sweepByKey.get(`${ref}/`, `${ref}/\uffff`) as { sweep_id: string } | undefined)?.sweep_id;
  }

  resolveId(ref: string, show: number): IdMatches {
    // Ids are ULIDs, upper case: a reference in any case names the same jobs.
    const key = ref.toUpperCase();
    const exact = this.stmt.byId.get(key) as Row | undefined;
    if (exact) return { jobs: [toRecord(exact)], count: 1 };
    const ids = new Set((this.stmt.idsWithPrefix.all(key, `${key}\uffff`, MATCH_COUNT_CAP) as { id: string }[]).map((r) => r.id));
    if (key.length === SHORT_ID_LENGTH) {
      for (const r of this.stmt.idsWithSuffix.all(key, MATCH_COUNT_CAP) as { id: string }[]) ids.add(r.id);
    }
    const newest = [...ids].sort((a, b) => (a < b ? 1 : -1)).slice(0, Math.max(0, show));
    return { jobs: newest.map((id) => toRecord(this.stmt.byId.get(id) as Row)), count: Math.min(ids.size, MATCH_COUNT_CAP) };
  }

  listPage(filter: JobListFilter | 'all', after: string | undefined, limit: number, order: ListOrder = 'asc'): Page {
    let rows: Row[];
    if (filter === 'pending' && order === 'asc') {
      // Dispatch order: urgent first, then by position; `after` names the last job seen.
      let from: [number, number] = [-1, Number.MIN_SAFE_INTEGER];
      if (after !== undefined) {
        const a = this.stmt.byId.get(after) as Row | undefined;
        if (!a) throw new BlError('bad_value', `expected \`after\` to be the id of a listed job, found ${describe(after)} (no such job)`);
        from = [a.queue_rank as number, a.pos as number];
      }
      rows = this.db
        .prepare(`SELECT * FROM broker_jobs INDEXED BY broker_jobs_pending WHERE phase = 0 AND (queue_rank, pos) > (?, ?) ORDER BY queue_rank, pos LIMIT ?`)
        .all(from[0], from[1], limit + 1) as Row[];
    } else {
      const where: string[] = [];
      const args: unknown[] = [];
      if (filter === 'pending') where.push('phase = 0');
      else if (filter === 'waiting') where.push('phase = 3');
      else if (filter === 'running') where.push('phase = 1');
      else if (filter === 'completed') where.push('phase = 2');
      else if (filter === 'errors') where.push(`phase = 2 AND state <> 'succeeded'`);
      else if (filter !== 'all') {
        where.push('phase = 2 AND state = ?');
        args.push(filter);
      }
      // Ids are monotonic ULIDs, so `id > after` pages even when `after` has been purged.
      if (after !== undefined) {
        where.push(order === 'asc' ? 'id > ?' : 'id < ?');
        args.push(after);
      }
      const sql = `SELECT * FROM broker_jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`;
      rows = this.db.prepare(sql).all(...args, limit + 1) as Row[];
    }
    const more = rows.length > limit;
    const jobs = rows.slice(0, limit).map(toRecord);
    return { jobs, next: more ? jobs[jobs.length - 1]!.id : null };
  }

  running(launcher?: string): JobRecord[] {
    const all = (this.stmt.running.all() as Row[]).map(toRecord);
    return launcher === undefined ? all : all.filter((j) => j.launcher === launcher);
  }

  counts(): Counts {
    return { byState: { ...this.tally.byState }, pendingByQueue: { ...this.tally.pendingByQueue } };
  }

  atomically<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    // The in-memory tally follows each statement; a rollback must take it back too.
    const saved = this.counts();
    const settled = this.settled.length;
    try {
      return this.inTx(fn) as T;
    } catch (e) {
      this.settled.length = settled;
      Object.assign(this.tally.byState, saved.byState);
      Object.assign(this.tally.pendingByQueue, saved.pendingByQueue);
      // Rare (a store that refuses writes): read again rather than copy the tally every round.
      this.timeouts = this.tryLoadTimeouts();
      throw e;
    }
  }

  purge(what: PurgeWhat): PurgeResult {
    const where = what === 'completed' ? 'phase = 2' : what === 'pending' ? 'phase IN (0, 3)' : 'phase IN (0, 2, 3)';
    const result = this.db.transaction(() => {
      // Nothing waits on an ended job, and what waits on a pending or waiting one is waiting.
      this.db.prepare(`DELETE FROM broker_job_deps WHERE job_id IN (SELECT id FROM broker_jobs WHERE ${where})`).run();
      this.db.prepare(`DELETE FROM broker_job_notes WHERE job_id IN (SELECT id FROM broker_jobs WHERE ${where})`).run();
      const withLogs = (this.db.prepare(`SELECT id FROM broker_jobs WHERE ${where} AND started_at IS NOT NULL`).all() as { id: string }[]).map(
        (r) => r.id,
      );
      const removed = this.db.prepare(`DELETE FROM broker_jobs WHERE ${where}`).run().changes;
      return { removed, withLogs };
    })();
    const fresh = this.loadCounts();
    Object.assign(this.tally, fresh);
    this.timeouts = this.tryLoadTimeouts();
    return result;
  }

  succeededSweeps(keys: string[]): Set<string> {
    return new Set(keys.filter((k) => this.stmt.sweepDone.get(k) !== undefined));
  }

  getSetting(name: string): string | undefined {
    return (this.stmt.getSetting.get(name) as { value: string } | undefined)?.value;
  }

  setSetting(name: string, value: string): void {
    this.stmt.setSetting.run(name, value);
  }

  addNote(id: string, text: string, at: number): void {
    this.stmt.addNote.run(id, at, text);
  }

  notes(id: string): JobNote[] {
    return this.stmt.notes.all(id) as JobNote[];
  }

  // One daemon holds every job of its embedded store: no other to ask.
  requestCancel(): string | undefined {
    return undefined;
  }

  cancelRequests(): string[] {
    return [];
  }
}
