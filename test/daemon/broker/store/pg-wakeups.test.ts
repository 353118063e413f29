// Wake-ups between daemons on a real PostgreSQL: batched, not heard by their sender, and back
// after a server restart.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { CHANNEL, PgWakeups } from '../../../../daemon/broker/store/pg-wakeups.js';
import { openPg, poolConfig } from '../../../../daemon/state/pg/pg-open.js';
import { pgTarget } from '../../../../daemon/state/pg/pg-target.js';
import { startPostgres, type Postgres } from '../../../helpers/postgres.js';
import { waitFor } from '../../../helpers/wait.js';

let server: Postgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

it('the writes of one turn send one notification; the sender does not wake itself; the other wakes', async () => {
  const t = pgTarget(server.url(server.createDatabase('wake')), {}, 'root');
  const pool = await openPg(t);
  const heard: string[] = [];
  const raw = new pg.Client(poolConfig(t));
  await raw.connect();
  raw.on('notification', (n) => heard.push(n.payload ?? ''));
  await raw.query(`LISTEN ${CHANNEL}`);
  let wokeA = 0;
  let wokeB = 0;
  const a = new PgWakeups(pool, t, { self: 'a', onWake: () => wokeA++ });
  const b = new PgWakeups(pool, t, { self: 'b', onWake: () => wokeB++ });
  try {
    await Promise.all([a.start(), b.start()]);
    for (let i = 0; i < 100; i++) a.changed();
    await waitFor('b to wake', () => wokeB > 0);
    await waitFor('the raw listener to hear it', () => heard.length > 0);
    assert.equal(wokeA, 0, 'a is not woken by its own change');
    // A marker sent after: once heard, anything a's batch sent is in too.
    await pool.query('SELECT pg_notify($1, $2)', [CHANNEL, 'marker']);
    await waitFor('the marker', () => heard.includes('marker'));
    assert.deepEqual(heard, ['a', 'marker'], 'one notification for 100 changes');
  } finally {
    await Promise.all([a.close(), b.close(), raw.end()]);
    await pool.end();
  }
});

it('after a server restart the listener is back, says so, and wakes (it may have missed changes)', async () => {
  const t = pgTarget(server.url(server.createDatabase('wake')), {}, 'root');
  const problems: (string | null)[] = [];
  let woke = 0;
  const pool = await openPg(t);
  const b = new PgWakeups(pool, t, { self: 'b', onWake: () => woke++, onProblem: (m) => problems.push(m), retryMs: 50 });
  try {
    await b.start();
    await server.halt();
    await waitFor('the loss to be said', () => problems.length > 0);
    assert.match(problems[0]!, /the wake-up connection to PostgreSQL (failed|closed); listening again/);
    await server.start();
    await waitFor('the recovery to be said', () => problems.includes(null), { timeout: 30_000 });
    await waitFor('a wake-up after the recovery', () => woke > 0);
    const before = woke;
    const pool2 = await openPg(t);
    const a = new PgWakeups(pool2, t, { self: 'a', onWake: () => undefined });
    a.changed();
    await waitFor('b to hear a again', () => woke > before);
    await a.close();
    await pool2.end();
  } finally {
    await b.close();
    await pool.end();
  }
});
