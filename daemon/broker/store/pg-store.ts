// The broker's store on PostgreSQL, shared by every daemon that names the same database: the
// verbs of JobStore, each answering through a promise. Claims take the head of the pending
// index with FOR UPDATE SKIP LOCKED; counts come from broker_counts (kept by triggers, see
// pg-migrations.ts), so every daemon sees the whole queue's.
//
// Writes take turns across daemons (one transaction-scoped advisory lock): a claim must read
// the running count and claim under it with no other claim between, and the counts' rows are
// then always locked in one order (no deadlock between a job's end and another's claim).
// Reads never wait for it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { monotonicFactory } from 'ulid';
import { BlError, describe } from '../../../contract/errors.js';
import { JOB_STATES, type JobListFilter, type JobState } from '../../../contract/types.js';
import type { JobRecord, NewJob } from '../types.js';
import { decideAtSubmit, isSweepId, type DependencyStatus } from '../dependencies.js';
import { dependencyStatus, driveAsync, settleWaiters, type WalkStep } from '../dependency-walk.js';
import { decideRecovery } from '../dispatch.js';
import { json, newRecord, PHASE_OF, rank, toRecord, type Row } from './sqlite-store.js';
import type { AsyncJobStore } from './async-store.js';
import { holdConnection } from '../../state/pg/pg-open.js';
import type { ClaimOptions, Counts, EnqueueResult, FinishFields, IdMatches, JobNote, ListOrder, Page, PurgeResult, PurgeWhat, RequeueOptions, SettledWaiter } from './store.js';
import { MATCH_COUNT_CAP, SHORT_ID_LENGTH, zeroCounts } from './store.js';


/** The advisory lock every writing transaction takes first ("bl" in ASCII, shifted, + 2). */
const WRITE_LOCK = 0x626c_0002;

const CLAIM_SET = `phase = 1, state = 'running', launcher = $1, host = $2, started_at = $3, finished_at = NULL, exit_code = NULL,
  signal = NULL, usage = NULL, reason = NULL, pid = NULL, pgid = NULL, proc_start = NULL, lease_owner = $5, lease_expires = $6`;
// $4: the max timeout, or null for any job.
const HEAD = (urgentOnly: boolean) =>
  `SELECT seq FROM broker_jobs WHERE phase = 0${urgentOnly ? ' AND queue_rank = 0' : ''} AND ($4::float8 IS NULL OR timeout IS NULL OR timeout <= $4)
   ORDER BY queue_rank, pos LIMIT 1 FOR UPDATE SKIP LOCKED`;

/**
 * A job back to pending ($1 its attempt, $2 the reason), first in its queue when `head`, its
 * run and lease forgotten; the caller adds the WHERE.
 */
const REQUEUE = (head: boolean) =>
  `UPDATE broker_jobs AS j SET phase = 0, state = 'pending', attempt = $1, reason = $2,
     pos = ${head ? `COALESCE((SELECT min(pos) - 1 FROM broker_jobs WHERE phase = 0 AND queue_rank = j.queue_rank), nextval('broker_pos'))` : `nextval('broker_pos')`},
     launcher = NULL, host = NULL, pid = NULL, pgid = NULL, proc_start = NULL, exit_code = NULL, signal = NULL, finished_at = NULL,
     lease_owner = NULL, lease_expires = NULL`;

/** A writing transaction: its connection, and the waiting jobs it settled (kept if it commits). */
export interface Tx {
  client: pg.PoolClient;
  settled: SettledWaiter[];
}

export interface PgStoreOptions {
  /**
   * The daemon this store serves. Its claims are leased to it for `leaseMs` unless renewed;
   * `running()` is what it answers for; its ends and re-queues of a running job hold only while
   * the job is still its own (another daemon may have taken it over after its lease ran out).
   */
  owner?: string;
  leaseMs?: number;
}

/** What a look at the leases of other daemons did: jobs taken over, and how. */
export interface TakenOver {
  job: JobRecord;
  /** The daemon whose lease ran out. */
  from: string;
}

export type PgJobStore = AsyncJobStore;

export class PgStore implements PgJobStore {
  private readonly ulid = monotonicFactory();
  private readonly tx = new AsyncLocalStorage<Tx>();
  private settled: SettledWaiter[] = [];
  private readonly owner: string | null;
  private readonly leaseMs: number;

  constructor(
    private readonly pool: pg.Pool,
    o: PgStoreOptions = {},
  ) {
    this.owner = o.owner ?? null;
    this.leaseMs = o.leaseMs ?? 30_000;
  }

  private q<R extends pg.QueryResultRow = Row>(sql: string, args: unknown[] = []): Promise<pg.QueryResult<R>> {
    const t = this.tx.getStore();
    return t ? t.client.query<R>(sql, args) : this.pool.query<R>(sql, args);
  }

  /** One writing transaction, in turn with every other daemon's; joins the caller's if any. */
  private async write<T>(fn: () => Promise<T>): Promise<T> {
    if (this.tx.getStore()) return fn();
    const t = await this.begin();
    let out: T;
    try {
      out = await this.within(t, fn);
    } catch (e) {
      await this.end(t, false);
      throw e;
    }
    await this.end(t, true);
    return out;
  }

  /**
   * Opens a writing transaction that calls made `within` it join, until `end`: what a caller
   * that cannot hold a callback across its calls (pg-sync-store.ts, through a worker) uses.
   */
  async begin(): Promise<Tx> {
    const client = await holdConnection(this.pool);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      return { client, settled: [] };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A connection that failed mid-way is not given back to be used again.
      client.release(e as Error);
      throw e;
    }
  }

  within<T>(t: Tx, fn: () => Promise<T>): Promise<T> {
    return this.tx.run(t, fn);
  }

  /** Commits (or rolls back) and gives the connection back; a failed commit throws. */
  async end(t: Tx, commit: boolean): Promise<void> {
    try {
      if (commit) {
        await t.client.query('COMMIT');
        this.settled.push(...t.settled);
      } else {
        await t.client.query('ROLLBACK');
      }
      t.client.release();
    } catch (e) {
      t.client.release(e as Error);
      if (commit) throw e;
    }
  }

  /** `AND …` keeping a write to a running job to the daemon that holds it. */
  private mine(arg: string): string {
    return ` AND (${arg}::text IS NULL OR phase <> 1 OR lease_owner IS NULL OR lease_owner = ${arg})`;
  }

  atomically<T>(fn: () => Promise<T>): Promise<T> {
    return this.write(fn);
  }

  enqueue(jobs: NewJob[], now: number): Promise<EnqueueResult> {
    return this.write(async () => {
      const out: JobRecord[] = [];
      const reused: boolean[] = [];
      const statuses = new Map<string, DependencyStatus>();
      const statusOf = async (dep: string) => statuses.get(dep) ?? statuses.set(dep, await this.dependencyStatus(dep)).get(dep)!;
      // Keyless jobs go in one INSERT a batch; a keyed one first looks for its key (an
      // earlier job, maybe from this very batch).
      let batch: { j: NewJob; rec: JobRecord; open: string[] }[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const cols = batch.map(({ j, rec }) => [rec.id, rank(j.queue), PHASE_OF[rec.state]!, rec.state, j.command, json(j.argv), j.cwd, JSON.stringify(j.env), j.timeout,
          json(j.idleCpu), j.retries, j.key, JSON.stringify(j.labels), json(j.http), json(j.params), j.sweepKey ?? null, j.sweep ?? null,
          j.after?.length ? JSON.stringify(j.after) : null, j.afterAny ? 1 : null, rec.finishedAt, rec.reason, json(j.limits), json(j.logOutput)]);
        const col = (i: number) => cols.map((c) => c[i]);
        await this.q(
          `INSERT INTO broker_jobs (id, queue_rank, pos, phase, state, command, argv, cwd, env, timeout, idle_cpu, retries, key, labels,
             attempt, submitted_at, http, params, sweep_key, sweep_id, "after", after_any, finished_at, reason, limits, log_output)
           SELECT id, qr, nextval('broker_pos'), ph, st, command, argv, cwd, env, timeout, idle_cpu, retries, key, labels, 1, $24, http, params,
             sweep_key, sweep_id, aft, aany, fin, reason, limits, log_output
           FROM unnest($1::text[], $2::smallint[], $3::smallint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::text[],
             $11::int[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::smallint[], $20::int8[], $21::text[], $22::text[], $23::text[])
             WITH ORDINALITY
             AS t(id, qr, ph, st, command, argv, cwd, env, timeout, idle_cpu, retries, key, labels, http, params, sweep_key, sweep_id, aft, aany, fin, reason, limits, log_output, ord)
           ORDER BY ord`,
          [...Array.from({ length: 23 }, (_, i) => col(i)), now],
        );
        const deps = batch.flatMap(({ rec, open }) => open.map((on) => [on, rec.id]));
        if (deps.length) {
          await this.q(`INSERT INTO broker_job_deps (on_id, job_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`, [
            deps.map((d) => d[0]),
            deps.map((d) => d[1]),
          ]);
        }
        batch = [];
      };
      const keyed = new Map<string, JobRecord>();
      const t = this.tx.getStore()!;
      for (const j of jobs) {
        if (j.key !== null) {
          const mine = keyed.get(j.key);
          const old = mine ?? (await this.q(`SELECT * FROM broker_jobs WHERE key = $1`, [j.key])).rows.map(toRecord)[0];
          if (old) {
            out.push(old);
            reused.push(true);
            continue;
          }
        }
        const id = this.ulid(now);
        const after = j.after ?? [];
        const wait = after.length ? decideAtSubmit(j.afterAny ?? false, await Promise.all(after.map(statusOf))) : ({ kind: 'pending' } as const);
        const rec = newRecord(j, id, now, wait.kind, wait.kind === 'cancelled' ? wait.reason : null);
        batch.push({ j, rec, open: wait.kind === 'waiting' ? wait.open : [] });
        if (rec.state === 'cancelled') t.settled.push({ job: rec, released: false });
        if (j.key !== null) keyed.set(j.key, rec);
        out.push(rec);
        reused.push(false);
      }
      await flush();
      return { jobs: out, reused };
    });
  }

  /** Where a dependency stands now (in the caller's transaction). */
  private dependencyStatus(dep: string): Promise<DependencyStatus> {
    return driveAsync(dependencyStatus(dep), (s) => this.answer(s));
  }

  /** Settles the jobs waiting on `ended` (dependency-walk.ts), in the caller's transaction. */
  private settleWaiters(ended: JobRecord, now: number): Promise<void> {
    return driveAsync(settleWaiters(ended, now), (s) => this.answer(s));
  }

  /** A dependency walk's step, answered by one statement. */
  private async answer(s: WalkStep): Promise<unknown> {
    switch (s.op) {
      case 'waitersOf':
        return (await this.q<{ job_id: string }>(`SELECT job_id FROM broker_job_deps WHERE on_id = $1`, [s.dep])).rows.map((r) => r.job_id);
      case 'sweepOpen':
        return (await this.q(`SELECT 1 FROM broker_jobs WHERE sweep_id = $1 AND phase IN (0, 1, 3) LIMIT 1`, [s.sweep])).rows.length > 0;
      case 'sweepFailed':
        return (await this.q(`SELECT id, state FROM broker_jobs WHERE sweep_id = $1 AND phase = 2 AND state <> 'succeeded' LIMIT 1`, [s.sweep])).rows[0];
      case 'job': {
        const r = (await this.q(`SELECT phase, state, after_any FROM broker_jobs WHERE id = $1`, [s.id])).rows[0];
        return r && { phase: r.phase, state: r.state, afterAny: r.after_any === 1 };
      }
      case 'openDeps':
        return Number((await this.q<{ n: number }>(`SELECT count(*) AS n FROM broker_job_deps WHERE job_id = $1`, [s.id])).rows[0]!.n);
      case 'dropDep':
        return this.q(`DELETE FROM broker_job_deps WHERE on_id = $1 AND job_id = $2`, [s.dep, s.id]);
      case 'dropDepsOf':
        return this.q(`DELETE FROM broker_job_deps WHERE job_id = $1`, [s.id]);
      case 'release':
        return toRecord((await this.q(`UPDATE broker_jobs SET phase = 0, state = 'pending' WHERE id = $1 AND phase = 3 RETURNING *`, [s.id])).rows[0]!);
      case 'cancel':
        return toRecord(
          (await this.q(`UPDATE broker_jobs SET phase = 2, state = 'cancelled', finished_at = $1, reason = $2 WHERE id = $3 AND phase = 3 RETURNING *`, [s.now, s.reason, s.id])).rows[0]!,
        );
      case 'settled':
        return this.tx.getStore()!.settled.push({ job: s.job, released: s.released });
    }
  }

  takeSettled(): Promise<SettledWaiter[]> {
    const s = this.settled;
    this.settled = [];
    return Promise.resolve(s);
  }

  claimNext(o: ClaimOptions): Promise<JobRecord | undefined> {
    return this.write(async () => {
      const lease = o.lease ?? (this.owner === null ? undefined : { owner: this.owner, until: o.now + this.leaseMs });
      const args: unknown[] = [o.launcher, o.host, o.now, o.maxTimeout ?? null, lease?.owner ?? null, lease?.until ?? null];
      const r = await this.q(`UPDATE broker_jobs SET ${CLAIM_SET} WHERE seq = (${HEAD(o.urgentOnly)}) RETURNING *`, args);
      return r.rows[0] ? toRecord(r.rows[0]) : undefined;
    });
  }

  /** This store's daemon takes over the lease of a running job of `launcher` at `attempt`. */
  async holdLease(id: string, attempt: number, launcher: string, now: number): Promise<boolean> {
    const r = await this.q(
      `UPDATE broker_jobs SET lease_owner = $1, lease_expires = $2 WHERE id = $3 AND phase = 1 AND attempt = $4 AND launcher = $5`,
      [this.owner, now + this.leaseMs, id, attempt, launcher],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Extends the leases `owner` holds on its running jobs to `until`; how many it holds. */
  async renewLeases(owner: string, until: number): Promise<number> {
    // Not in turn with the writers: a renewal must not wait behind a long batch of submits.
    const r = await this.q(`UPDATE broker_jobs SET lease_expires = $2 WHERE lease_owner = $1 AND phase = 1`, [owner, until]);
    return r.rowCount ?? 0;
  }

  /** Says this daemon is alive (its row in bl_daemons: who shares the store, and since when). */
  async heartbeat(d: { id: string; host: string; pid: number; url: string | null }, now: number): Promise<void> {
    await this.q(
      `INSERT INTO bl_daemons (id, host, pid, url, started_at, seen_at) VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, url = excluded.url`,
      [d.id, d.host, d.pid, d.url, now],
    );
  }

  /** The daemons that said they were alive since `since`. */
  async daemons(since: number): Promise<{ id: string; host: string; pid: number; url: string | null; startedAt: number; seenAt: number }[]> {
    const r = await this.q<{ id: string; host: string; pid: number; url: string | null; started_at: number; seen_at: number }>(
      `SELECT * FROM bl_daemons WHERE seen_at >= $1 ORDER BY started_at`,
      [since],
    );
    return r.rows.map((x) => ({ id: x.id, host: x.host, pid: x.pid, url: x.url, startedAt: x.started_at, seenAt: x.seen_at }));
  }

  async markStarted(id: string, p: { pid: number; pgid: number; procStart: number | null }): Promise<void> {
    await this.q(`UPDATE broker_jobs SET pid = $1, pgid = $2, proc_start = $3 WHERE id = $4 AND phase = 1${this.mine('$5')}`, [p.pid, p.pgid, p.procStart, id, this.owner]);
  }

  finish(id: string, f: FinishFields): Promise<JobRecord | undefined> {
    return this.write(async () => {
      const r = await this.q(
        `UPDATE broker_jobs SET phase = 2, state = $1, exit_code = $2, signal = $3, usage = $4, reason = $5, finished_at = $6,
           lease_owner = NULL, lease_expires = NULL, cancel_requested_at = NULL
         WHERE id = $7 AND phase = 1${this.mine('$8')} RETURNING *`,
        [f.state, f.exitCode, f.signal, json(f.usage), f.reason, f.now, id, this.owner],
      );
      if (!r.rows[0]) {
        const said = f.signal ? `killed by ${f.signal}` : f.exitCode !== null ? `exit code ${f.exitCode}` : (f.reason ?? 'no exit code');
        await this.lateEnd(id, `${f.state}, ${said}`, f.now);
        return undefined;
      }
      const job = toRecord(r.rows[0]);
      await this.settleWaiters(job, f.now);
      return job;
    });
  }

  /**
   * Running jobs of other daemons whose lease ran out before `now` (their daemon died or lost
   * the store): each back at the head of its queue as its next attempt while retries remain,
   * else `lost`, in one transaction. A late end from that daemon no longer matches (finish
   * holds only for the job's holder).
   */
  takeOverExpired(now: number, limit = 1000): Promise<TakenOver[]> {
    return this.write(async () => {
      const r = await this.q(
        `SELECT * FROM broker_jobs WHERE phase = 1 AND lease_expires < $1 AND lease_owner IS DISTINCT FROM $2 ORDER BY id DESC LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [now, this.owner, limit],
      );
      const out: TakenOver[] = [];
      // Newest first, each to the head: the oldest ends up first, as they were.
      for (const row of r.rows) {
        const from = row.lease_owner as string;
        const was = toRecord(row);
        const d = decideRecovery(was.attempt, was.retries);
        const why = `attempt ${was.attempt}: its daemon ${from} stopped renewing its lease (it died or lost the store)`;
        let job: JobRecord | undefined;
        if (d.kind === 'requeue') {
          const q = await this.q(`${REQUEUE(true)} WHERE id = $3 RETURNING *`, [d.attempt, `${why}; re-queued as attempt ${d.attempt}`, was.id]);
          job = toRecord(q.rows[0]!);
        } else {
          const q = await this.q(
            `UPDATE broker_jobs SET phase = 2, state = 'lost', reason = $1, finished_at = $2, lease_owner = NULL, lease_expires = NULL, cancel_requested_at = NULL WHERE id = $3 RETURNING *`,
            [`${why}; no retries left`, now, was.id],
          );
          job = toRecord(q.rows[0]!);
          await this.settleWaiters(job, now);
        }
        out.push({ job, from });
      }
      return out;
    });
  }

  requeue(id: string, o: RequeueOptions): Promise<JobRecord | undefined> {
    return this.write(async () => {
      const r = await this.q(`${REQUEUE(o.head)} WHERE id = $3 AND phase IN (1, 2)${this.mine('$4')} RETURNING *`, [o.attempt, o.reason, id, this.owner]);
      if (r.rows[0]) return toRecord(r.rows[0]);
      await this.lateEnd(id, `back to the queue as attempt ${o.attempt}: ${o.reason ?? 'no reason given'}`, Date.now());
      return undefined;
    });
  }

  cancelPending(id: string, now: number): Promise<JobRecord | undefined> {
    return this.write(async () => {
      const r = await this.q(
        `UPDATE broker_jobs SET phase = 2, state = 'cancelled', finished_at = $1, reason = 'cancelled while ' || state, cancel_requested_at = NULL WHERE id = $2 AND phase IN (0, 3) RETURNING *`,
        [now, id],
      );
      if (!r.rows[0]) return undefined;
      const job = toRecord(r.rows[0]);
      await this.q(`DELETE FROM broker_job_deps WHERE job_id = $1`, [id]);
      await this.settleWaiters(job, now);
      return job;
    });
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const r = await this.q(`SELECT * FROM broker_jobs WHERE id = $1`, [id]);
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  async getByKey(key: string): Promise<JobRecord | undefined> {
    const r = await this.q(`SELECT * FROM broker_jobs WHERE key = $1`, [key]);
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  async findSweep(ref: string): Promise<string | undefined> {
    if (isSweepId(ref)) return (await this.q(`SELECT 1 FROM broker_jobs WHERE sweep_id = $1 LIMIT 1`, [ref])).rows.length ? ref : undefined;
    const r = await this.q<{ sweep_id: string }>(`SELECT sweep_id FROM broker_jobs WHERE key >= $1 AND key < $2 AND sweep_id IS NOT NULL LIMIT 1`, [`${ref}/`, `${ref}/\x7f`]);
    return r.rows[0]?.sweep_id;
  }

  async resolveId(ref: string, show: number): Promise<IdMatches> {
    const key = ref.toUpperCase();
    const exact = await this.get(key);
    if (exact) return { jobs: [exact], count: 1 };
    // A prefix is a range of the id index (ids are ASCII under the C collation).
    const ids = new Set((await this.q<{ id: string }>(`SELECT id FROM broker_jobs WHERE id >= $1 AND id < $2 ORDER BY id DESC LIMIT $3`, [key, `${key}\x7f`, MATCH_COUNT_CAP])).rows.map((r) => r.id));
    if (key.length === SHORT_ID_LENGTH) {
      for (const r of (await this.q<{ id: string }>(`SELECT id FROM broker_jobs WHERE right(id, ${SHORT_ID_LENGTH}) = $1 LIMIT $2`, [key, MATCH_COUNT_CAP])).rows) ids.add(r.id);
    }
    const newest = [...ids].sort((a, b) => (a < b ? 1 : -1)).slice(0, Math.max(0, show));
    const rows = newest.length ? (await this.q(`SELECT * FROM broker_jobs WHERE id = ANY($1::text[]) ORDER BY id DESC`, [newest])).rows : [];
    return { jobs: rows.map(toRecord), count: Math.min(ids.size, MATCH_COUNT_CAP) };
  }

  async listPage(filter: JobListFilter | 'all', after: string | undefined, limit: number, order: ListOrder = 'asc'): Promise<Page> {
    let rows: Row[];
    if (filter === 'pending' && order === 'asc') {
      let from: [number, number] = [-1, Number.MIN_SAFE_INTEGER];
      if (after !== undefined) {
        const a = (await this.q(`SELECT queue_rank, pos FROM broker_jobs WHERE id = $1`, [after])).rows[0];
        if (!a) throw new BlError('bad_value', `expected \`after\` to be the id of a listed job, found ${describe(after)} (no such job)`);
        from = [a.queue_rank as number, a.pos as number];
      }
      rows = (await this.q(`SELECT * FROM broker_jobs WHERE phase = 0 AND (queue_rank, pos) > ($1, $2) ORDER BY queue_rank, pos LIMIT $3`, [...from, limit + 1])).rows;
    } else {
      const where: string[] = [];
      const args: unknown[] = [];
      const arg = (v: unknown) => {
        args.push(v);
        return `$${args.length}`;
      };
      if (filter === 'pending') where.push('phase = 0');
      else if (filter === 'waiting') where.push('phase = 3');
      else if (filter === 'running') where.push('phase = 1');
      else if (filter === 'completed') where.push('phase = 2');
      else if (filter === 'errors') where.push(`phase = 2 AND state <> 'succeeded'`);
      else if (filter !== 'all') where.push(`phase = 2 AND state = ${arg(filter)}`);
      if (after !== undefined) where.push(order === 'asc' ? `id > ${arg(after)}` : `id < ${arg(after)}`);
      const sql = `SELECT * FROM broker_jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${arg(limit + 1)}`;
      rows = (await this.q(sql, args)).rows;
    }
    const more = rows.length > limit;
    const jobs = rows.slice(0, limit).map(toRecord);
    return { jobs, next: more ? jobs[jobs.length - 1]!.id : null };
  }

  /** The running jobs this daemon answers for (all of them when it has no `owner`). */
  async running(launcher?: string): Promise<JobRecord[]> {
    const where = ['phase = 1'];
    const args: unknown[] = [];
    if (launcher !== undefined) where.push(`launcher = $${args.push(launcher)}`);
    if (this.owner !== null) where.push(`lease_owner = $${args.push(this.owner)}`);
    const r = await this.q(`SELECT * FROM broker_jobs WHERE ${where.join(' AND ')} ORDER BY id`, args);
    return r.rows.map(toRecord);
  }

  async counts(): Promise<Counts> {
    const c = zeroCounts();
    const r = await this.q<{ state: JobState; queue_rank: number; n: number }>(`SELECT state, queue_rank, n FROM broker_counts WHERE n <> 0`);
    for (const row of r.rows) {
      if (!(JOB_STATES as readonly string[]).includes(row.state)) continue;
      c.byState[row.state] += row.n;
      if (row.state === 'pending') c.pendingByQueue[row.queue_rank === 0 ? 'urgent' : 'normal'] += row.n;
    }
    return c;
  }

  purge(what: PurgeWhat): Promise<PurgeResult> {
    const where = what === 'completed' ? 'phase = 2' : what === 'pending' ? 'phase IN (0, 3)' : 'phase IN (0, 2, 3)';
    return this.write(async () => {
      // Nothing waits on an ended job, and what waits on a pending or waiting one is waiting.
      await this.q(`DELETE FROM broker_job_deps WHERE job_id IN (SELECT id FROM broker_jobs WHERE ${where})`);
      await this.q(`DELETE FROM broker_job_notes WHERE job_id IN (SELECT id FROM broker_jobs WHERE ${where})`);
      const withLogs = (await this.q<{ id: string }>(`SELECT id FROM broker_jobs WHERE ${where} AND started_at IS NOT NULL`)).rows.map((r) => r.id);
      const removed = (await this.q(`DELETE FROM broker_jobs WHERE ${where}`)).rowCount ?? 0;
      return { removed, withLogs };
    });
  }

  async succeededSweeps(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const r = await this.q<{ sweep_key: string }>(`SELECT DISTINCT sweep_key FROM broker_jobs WHERE sweep_key = ANY($1::text[]) AND state = 'succeeded'`, [keys]);
    return new Set(r.rows.map((x) => x.sweep_key));
  }

  async getSetting(name: string): Promise<string | undefined> {
    return (await this.q<{ value: string }>(`SELECT value FROM broker_settings WHERE name = $1`, [name])).rows[0]?.value;
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.q(`INSERT INTO broker_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, [name, value]);
  }

  async addNote(id: string, text: string, at: number): Promise<void> {
    await this.q(`INSERT INTO broker_job_notes (job_id, at, text) VALUES ($1, $2, $3)`, [id, at, text]);
  }

  async notes(id: string): Promise<JobNote[]> {
    return (await this.q<JobNote>(`SELECT at, text FROM broker_job_notes WHERE job_id = $1 ORDER BY seq`, [id])).rows;
  }

  async requestCancel(id: string, now: number): Promise<string | undefined> {
    const r = await this.q<{ lease_owner: string }>(
      `UPDATE broker_jobs SET cancel_requested_at = $2 WHERE id = $1 AND phase = 1 AND lease_owner IS NOT NULL AND lease_owner IS DISTINCT FROM $3 RETURNING lease_owner`,
      [id, now, this.owner],
    );
    return r.rows[0]?.lease_owner;
  }

  async cancelRequests(): Promise<string[]> {
    if (this.owner === null) return [];
    const r = await this.q<{ id: string }>(`SELECT id FROM broker_jobs WHERE lease_owner = $1 AND cancel_requested_at IS NOT NULL AND phase = 1`, [this.owner]);
    return r.rows.map((x) => x.id);
  }

  /**
   * An end (`what`) this daemon reported for a job it no longer holds: the job was taken over
   * after its lease ran out (or has ended since). Kept as a note on the job, never as its end.
   */
  private async lateEnd(id: string, what: string, now: number): Promise<void> {
    if (this.owner === null) return;
    const r = await this.q(`SELECT state, attempt, lease_owner FROM broker_jobs WHERE id = $1`, [id]);
    const row = r.rows[0];
    if (!row) return;
    const now_ = row.lease_owner ? `attempt ${row.attempt} runs on daemon ${row.lease_owner as string}` : `it is ${row.state as string} (attempt ${row.attempt})`;
    await this.addNote(id, `late end from daemon ${this.owner} (${what}) ignored: its lease on the job was taken over; ${now_}`, now);
  }
}
