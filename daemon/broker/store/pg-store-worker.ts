// The worker thread behind PgSyncStore (pg-sync-store.ts): holds the connection pool and the
// PgStore, runs one call at a time in the order they come, and raises the shared flag once
// each answer is posted. A transaction the caller opened ('begin') holds one connection until
// its 'commit' or 'rollback'; every call between them joins it.
import { workerData, type MessagePort } from 'node:worker_threads';
import type pg from 'pg';
import { plainError, reportDeath, type Reply, type Request } from '../../state/pg/blocking-worker.js';
import { migrate } from '../../state/pg/pg-migrate.js';
import { openPg, pgProblem } from '../../state/pg/pg-open.js';
import type { PgTarget } from '../../state/pg/pg-target.js';
import { PgStore, type Tx } from './pg-store.js';
import { PgWakeups } from './pg-wakeups.js';

interface Data {
  target: PgTarget;
  owner: string;
  leaseMs: number;
  connectTimeoutMs: number;
  idleInTransactionMs: number | undefined;
  calls: MessagePort;
  events: MessagePort;
  flag: Int32Array;
}

const d = workerData as Data;
reportDeath(d.calls, d.flag);
let pool: pg.Pool | undefined;
let store: PgStore | undefined;
let wakeups: PgWakeups | undefined;
let tx: Tx | undefined;
/** After a failed connection, calls fail at once until then: the caller's thread waits on each. */
let downUntil = 0;
const DOWN_MS = 1000;

// Errors that say the server cannot be reached or went away, not that a statement was wrong.
const UNREACHABLE = /^(ECONNREFUSED|ENOENT|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|57P0[123]|08\w{3}|53300)$/;
const isUnreachable = (e: unknown): boolean => {
  const err = e as { code?: unknown; message?: unknown };
  if (typeof err?.code === 'string' && UNREACHABLE.test(err.code)) return true;
  return typeof err?.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(err.message);
};

/** Calls that change nothing: they wake no other daemon. */
const READS = new Set(['get', 'getByKey', 'findSweep', 'resolveId', 'listPage', 'running', 'counts', 'succeededSweeps', 'getSetting', 'notes', 'cancelRequests', 'takeSettled', 'rollback', 'heartbeat']);

async function open(): Promise<void> {
  pool = await openPg(d.target, { connectTimeoutMs: d.connectTimeoutMs, idleInTransactionMs: d.idleInTransactionMs, applicationName: `bl-daemon ${d.owner}` });
  await migrate(pool, d.target.shown);
  store = new PgStore(pool, { owner: d.owner, leaseMs: d.leaseMs });
  wakeups = new PgWakeups(pool, d.target, {
    self: d.owner,
    onWake: () => d.events.postMessage({ kind: 'wake' }),
    onProblem: (message) => d.events.postMessage({ kind: 'problem', message }),
  });
  await wakeups.start();
}

async function run(op: string, args: unknown[]): Promise<unknown> {
  if (op === 'open') return open();
  const s = store!;
  switch (op) {
    case 'begin':
      if (tx) throw new Error('a transaction is open already');
      tx = await s.begin();
      return undefined;
    case 'commit':
    case 'rollback': {
      const t = tx;
      tx = undefined;
      if (t) await s.end(t, op === 'commit');
      return undefined;
    }
    case 'heartbeat': {
      const [host, pid, url, now] = args as [string, number, string | null, number];
      await s.heartbeat({ id: d.owner, host, pid, url }, now);
      return s.renewLeases(d.owner, now + d.leaseMs);
    }
    case 'close':
      await wakeups?.close();
      await pool?.end();
      return undefined;
  }
  const f = (s as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op];
  if (typeof f !== 'function') throw new Error(`no store verb ${op}`);
  const call = () => f.apply(s, args);
  return tx ? s.within(tx, call) : call();
}

async function answer(r: Request): Promise<void> {
  let reply: Reply;
  try {
    if (Date.now() < downUntil && r.op !== 'rollback' && r.op !== 'close') throw Object.assign(new Error('still unreachable'), { code: 'ECONNREFUSED', failedFast: true });
    const value = await run(r.op, r.args);
    reply = { id: r.id, value };
    // In a transaction the others hear of it once it commits.
    if (!READS.has(r.op) && (!tx || r.op === 'commit')) wakeups?.changed();
  } catch (e) {
    if (isUnreachable(e) && r.op !== 'open') {
      // Only a real attempt starts the pause: calls failed at once must not make it last for ever.
      if (!(e as { failedFast?: boolean }).failedFast) downUntil = Date.now() + DOWN_MS;
      reply = { id: r.id, error: { name: 'StoreUnavailable', code: 'PG_UNAVAILABLE', message: pgProblem(e, d.target, d.connectTimeoutMs) } };
    } else {
      reply = { id: r.id, error: plainError(e) };
    }
  }
  d.calls.postMessage(reply);
  Atomics.store(d.flag, 0, 1);
  Atomics.notify(d.flag, 0);
}

// One call at a time, in order: a transaction's calls must not interleave with others.
let chain = Promise.resolve();
d.calls.on('message', (r: Request) => {
  chain = chain.then(() => answer(r));
});
