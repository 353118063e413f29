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
import { json, newRecord, rank, toRecord, type Row } from './sqlite-store.js';
import type { AsyncJobStore } from './async-store.js';
import type { ClaimOptions, Counts, EnqueueResult, FinishFields, IdMatches, ListOrder, Page, PurgeResult, PurgeWhat, RequeueOptions } from './store.js';
import { MATCH_COUNT_CAP, SHORT_ID_LENGTH, zeroCounts } from './store.js';


/** The advisory lock every writing transaction takes first ("bl" in ASCII, shifted, + 2). */
const WRITE_LOCK = 0x626c_0002;

const CLAIM_SET = `phase = 1, state = 'running', launcher = $1, host = $2, started_at = $3, finished_at = NULL, exit_code = NULL,
  signal = NULL, usage = NULL, reason = NULL, pid = NULL, pgid = NULL, proc_start = NULL, lease_owner = $5, lease_expires = $6`;
// $4: the max timeout, or null for any job.
const HEAD = (urgentOnly: boolean) =>
  `SELECT seq FROM broker_jobs WHERE phase = 0${urgentOnly ? ' AND queue_rank = 0' : ''} AND ($4::float8 IS NULL OR timeout IS NULL OR timeout <= $4)
   ORDER BY queue_rank, pos LIMIT 1 FOR UPDATE SKIP LOCKED`;

type Tx = { client: pg.PoolClient };

/** What the PostgreSQL store does not hold yet: jobs waiting on others (`after`). */
export type PgJobStore = Omit<AsyncJobStore, 'takeSettled' | 'getByKey' | 'findSweep'>;

export class PgStore implements PgJobStore {
  private readonly ulid = monotonicFactory();
  private readonly tx = new AsyncLocalStorage<Tx>();

  constructor(private readonly pool: pg.Pool) {}

  private q<R extends pg.QueryResultRow = Row>(sql: string, args: unknown[] = []): Promise<pg.QueryResult<R>> {
    const t = this.tx.getStore();
    return t ? t.client.query<R>(sql, args) : this.pool.query<R>(sql, args);
  }

  /** One writing transaction, in turn with every other daemon's; joins the caller's if any. */
  private async write<T>(fn: () => Promise<T>): Promise<T> {
    if (this.tx.getStore()) return fn();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      const out = await this.tx.run({ client }, fn);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  atomically<T>(fn: () => Promise<T>): Promise<T> {
    return this.write(fn);
  }

  enqueue(jobs: NewJob[], now: number): Promise<EnqueueResult> {
    return this.write(async () => {
      const out: JobRecord[] = [];
      const reused: boolean[] = [];
      // Keyless jobs go in one INSERT a batch; a keyed one first looks for its key (an
      // earlier job, maybe from this very batch).
      let batch: { j: NewJob; id: string; at: number }[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const cols = batch.map(({ j, id }) => [id, rank(j.queue), j.command, json(j.argv), j.cwd, JSON.stringify(j.env), j.timeout, json(j.idleCpu), j.retries,
          j.key, JSON.stringify(j.labels), json(j.http), json(j.params), j.sweepKey ?? null, json(j.limits)]);
        const col = (i: number) => cols.map((c) => c[i]);
        await this.q(
          `INSERT INTO broker_jobs (id, queue_rank, pos, phase, state, command, argv, cwd, env, timeout, idle_cpu, retries, key, labels,
             attempt, submitted_at, http, params, sweep_key, limits)
           SELECT id, qr, nextval('broker_pos'), 0, 'pending', command, argv, cwd, env, timeout, idle_cpu, retries, key, labels, 1, $16, http, params, sweep_key, limits
           FROM unnest($1::text[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[], $9::int[], $10::text[],
             $11::text[], $12::text[], $13::text[], $14::text[], $15::text[]) WITH ORDINALITY
             AS t(id, qr, command, argv, cwd, env, timeout, idle_cpu, retries, key, labels, http, params, sweep_key, limits, ord)
           ORDER BY ord`,
          [...Array.from({ length: 15 }, (_, i) => col(i)), now],
        );
        batch = [];
      };
      const keyed = new Map<string, JobRecord>();
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
        batch.push({ j, id, at: now });
        const rec = newRecord(j, id, now, 'pending', null);
        if (j.key !== null) keyed.set(j.key, rec);
        out.push(rec);
        reused.push(false);
      }
      await flush();
      return { jobs: out, reused };
    });
  }

  claimNext(o: ClaimOptions): Promise<JobRecord | undefined> {
    return this.write(async () => {
      const args: unknown[] = [o.launcher, o.host, o.now, o.maxTimeout ?? null, o.lease?.owner ?? null, o.lease?.until ?? null];
      const r = await this.q(`UPDATE broker_jobs SET ${CLAIM_SET} WHERE seq = (${HEAD(o.urgentOnly)}) RETURNING *`, args);
      return r.rows[0] ? toRecord(r.rows[0]) : undefined;
    });
  }

  /** Extends the leases `owner` holds on its running jobs to `until`; how many it holds. */
  async renewLeases(owner: string, until: number): Promise<number> {
    const r = await this.q(`UPDATE broker_jobs SET lease_expires = $2 WHERE lease_owner = $1 AND phase = 1`, [owner, until]);
    return r.rowCount ?? 0;
  }

  /** Running jobs whose lease ran out before `now` (their daemon stopped renewing), oldest lease first. */
  async expiredLeases(now: number, limit = 1000): Promise<JobRecord[]> {
    const r = await this.q(`SELECT * FROM broker_jobs WHERE phase = 1 AND lease_expires < $1 ORDER BY lease_expires LIMIT $2`, [now, limit]);
    return r.rows.map(toRecord);
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
    await this.q(`UPDATE broker_jobs SET pid = $1, pgid = $2, proc_start = $3 WHERE id = $4 AND phase = 1`, [p.pid, p.pgid, p.procStart, id]);
  }

  finish(id: string, f: FinishFields): Promise<JobRecord | undefined> {
    return this.write(async () => {
      const r = await this.q(
        `UPDATE broker_jobs SET phase = 2, state = $1, exit_code = $2, signal = $3, usage = $4, reason = $5, finished_at = $6,
           lease_owner = NULL, lease_expires = NULL
         WHERE id = $7 AND phase = 1 RETURNING *`,
        [f.state, f.exitCode, f.signal, json(f.usage), f.reason, f.now, id],
      );
      return r.rows[0] ? toRecord(r.rows[0]) : undefined;
    });
  }

  requeue(id: string, o: RequeueOptions): Promise<JobRecord | undefined> {
    return this.write(async () => {
      const pos = o.head
        ? `COALESCE((SELECT min(pos) - 1 FROM broker_jobs WHERE phase = 0 AND queue_rank = j.queue_rank), nextval('broker_pos'))`
        : `nextval('broker_pos')`;
      const r = await this.q(
        `UPDATE broker_jobs AS j SET phase = 0, state = 'pending', pos = ${pos}, attempt = $1, reason = $2, launcher = NULL, host = NULL,
           pid = NULL, pgid = NULL, proc_start = NULL, exit_code = NULL, signal = NULL, finished_at = NULL, lease_owner = NULL, lease_expires = NULL
         WHERE id = $3 AND phase IN (1, 2) RETURNING *`,
        [o.attempt, o.reason, id],
      );
      return r.rows[0] ? toRecord(r.rows[0]) : undefined;
    });
  }

  cancelPending(id: string, now: number): Promise<JobRecord | undefined> {
    return this.write(async () => {
      const r = await this.q(
        `UPDATE broker_jobs SET phase = 2, state = 'cancelled', finished_at = $1, reason = 'cancelled while pending' WHERE id = $2 AND phase = 0 RETURNING *`,
        [now, id],
      );
      return r.rows[0] ? toRecord(r.rows[0]) : undefined;
    });
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const r = await this.q(`SELECT * FROM broker_jobs WHERE id = $1`, [id]);
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
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

  async running(launcher?: string): Promise<JobRecord[]> {
    const r = launcher === undefined
      ? await this.q(`SELECT * FROM broker_jobs WHERE phase = 1 ORDER BY id`)
      : await this.q(`SELECT * FROM broker_jobs WHERE phase = 1 AND launcher = $1 ORDER BY id`, [launcher]);
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
    const where = what === 'completed' ? 'phase = 2' : what === 'pending' ? 'phase = 0' : 'phase IN (0, 2)';
    return this.write(async () => {
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
}
