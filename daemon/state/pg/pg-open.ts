// Opens the connection pool of a PostgreSQL store and proves it with one round trip, so that a
// wrong address, refused credentials or a server that is down stop the start with the reason
// and the address tried (never the password), instead of failing at the first submit.
import pg from 'pg';
import type { PgTarget } from './pg-target.js';

export class PgOpenError extends Error {}

export interface PgOpenOptions {
  /** Connections in the pool (claims, ends and reads share them). */
  max?: number;
  /** How long one connection attempt may take before it counts as no answer. */
  connectTimeoutMs?: number;
  /** How long one statement may wait for its answer. */
  queryTimeoutMs?: number;
  /** How long a session may sit in a transaction waiting for its next statement. */
  idleInTransactionMs?: number;
  /** The name PostgreSQL shows for the connections (pg_stat_activity). */
  applicationName?: string;
}

export function poolConfig(t: PgTarget, o: PgOpenOptions = {}): pg.PoolConfig {
  return {
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: t.database,
    ssl: t.ssl,
    max: o.max ?? 8,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000,
    // A statement whose answer never comes (its server went away mid-way and the connection
    // did not say so) fails instead of holding its caller, and the daemon's loop, for good.
    query_timeout: o.queryTimeoutMs ?? 30_000,
    // A daemon's transactions send their statements back to back: one that sits idle inside a
    // transaction has a daemon that stopped (SIGSTOP, swapped out) or lost its network mid-way,
    // and it holds the lock every daemon's writes take. The server ends that session, which
    // rolls the transaction back, rather than leave every other daemon waiting on it.
    idle_in_transaction_session_timeout: o.idleInTransactionMs ?? 5000,
    application_name: o.applicationName ?? 'bl-daemon',
    types: { getTypeParser: typeParser as pg.CustomTypesConfig['getTypeParser'] },
  };
}

// bigint columns (positions, times in ms, pids' start ticks) stay below 2^53: numbers, as the
// embedded store gives them, not node-postgres's default strings.
function typeParser(oid: number, format?: 'text' | 'binary'): unknown {
  if (oid === pg.types.builtins.INT8 && format !== 'binary') return (v: string) => Number(v);
  return (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format);
}

export async function openPg(t: PgTarget, o: PgOpenOptions = {}): Promise<pg.Pool> {
  const pool = new pg.Pool(poolConfig(t, o));
  // An idle connection the server drops (a restart) must not take the daemon down: the pool
  // discards it and the next query opens another.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
    return pool;
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new PgOpenError(pgProblem(e, t, o.connectTimeoutMs ?? 10_000));
  }
}

/**
 * A connection taken from the pool to hold across statements (a transaction). The pool hears
 * the errors of its idle connections only: the server's farewell to one held between two
 * statements (a shutdown) would be an 'error' event nobody hears, which throws and ends the
 * thread. Here it is heard and let be: the connection's next statement fails with it, and its
 * release drops the connection from the pool.
 */
export async function holdConnection(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  const heard = (): void => {};
  client.on('error', heard);
  const release = client.release;
  client.release = (err?: Error | boolean) => {
    client.removeListener('error', heard);
    release.call(client, err);
  };
  return client;
}

/** One line saying why a connection to `t` failed, naming the address tried. */
export function pgProblem(e: unknown, t: PgTarget, timeoutMs: number): string {
  const err = e as { code?: string; message?: string };
  const at = `at ${t.shown}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `no PostgreSQL server answers ${at} (connection refused): is it running, and on that port?`;
    case 'ENOENT':
      return `no PostgreSQL server answers ${at}: its socket ${t.host}/.s.PGSQL.${t.port} does not exist (is it running?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the PostgreSQL host "${t.host}" (${at})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the PostgreSQL host ${at} cannot be reached (${err.code})`;
    case '28P01':
    case '28000':
      return `PostgreSQL refused the credentials of user "${t.user}" ${at}: ${err.message}`;
    case '3D000':
      return `the database "${t.database}" does not exist ${at}: create it (createdb ${t.database}) or name another`;
    case '57P03':
      return `the PostgreSQL server ${at} is starting up or shutting down; try again in a moment`;
    default:
      if (/timeout/i.test(err.message ?? '')) return `no answer from PostgreSQL ${at} within ${timeoutMs / 1000} s`;
      return `cannot connect to PostgreSQL ${at}: ${err.message ?? String(e)}`;
  }
}
