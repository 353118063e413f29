// Opening and migrating a PostgreSQL store against a real server (test/helpers/postgres.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPg, PgOpenError } from '../../../daemon/state/pg/pg-open.js';
import { pgTarget } from '../../../daemon/state/pg/pg-target.js';
import { migrate, SchemaNewerError } from '../../../daemon/state/pg/pg-migrate.js';
import { LATEST_VERSION } from '../../../daemon/state/pg/pg-migrations.js';
import { startPostgres, type Postgres } from '../../helpers/postgres.js';

let pg: Postgres;
before(async () => {
  pg = await startPostgres({ tcp: true });
});
after(async () => {
  await pg?.stop();
});

const target = (url: string) => pgTarget(url, {}, 'root');

async function refusal(url: string): Promise<string> {
  const e = await openPg(target(url), { connectTimeoutMs: 5000 }).then(
    async (pool) => {
      await pool.end();
      return undefined;
    },
    (err: unknown) => err,
  );
  assert.ok(e instanceof PgOpenError, `expected a PgOpenError, got ${String(e)}`);
  return e.message;
}

test('a fresh database is migrated to the latest schema once; a second open applies nothing', async () => {
  const db = pg.createDatabase();
  const pool = await openPg(target(pg.url(db)));
  try {
    assert.deepEqual(await migrate(pool, 'here'), { from: 0, to: LATEST_VERSION, applied: Array.from({ length: LATEST_VERSION }, (_, i) => i + 1) });
    assert.deepEqual(await migrate(pool, 'here'), { from: LATEST_VERSION, to: LATEST_VERSION, applied: [] });
    const tables = pg.psql(`SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'`, db).trim();
    assert.equal(tables, 'bl_daemons,bl_schema,broker_counts,broker_job_deps,broker_job_notes,broker_jobs,broker_settings');
  } finally {
    await pool.end();
  }
});

test('daemons migrating one database together apply each step once', async () => {
  const db = pg.createDatabase();
  const pools = await Promise.all([1, 2, 3].map(() => openPg(target(pg.url(db)))));
  try {
    const results = await Promise.all(pools.map((p) => migrate(p, 'here')));
    assert.equal(results.filter((r) => r.applied.length > 0).length, 1);
    assert.equal(pg.psql('SELECT count(*) FROM bl_schema', db).trim(), String(LATEST_VERSION));
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

test('a schema newer than this bl is refused and left as it is', async () => {
  const db = pg.createDatabase();
  const pool = await openPg(target(pg.url(db)));
  try {
    await migrate(pool, 'here');
    pg.psql(`INSERT INTO bl_schema (version, what) VALUES (${LATEST_VERSION + 5}, 'from the future'); CREATE TABLE future_thing (x int)`, db);
    await assert.rejects(migrate(pool, pg.url(db)), (e: unknown) => {
      assert.ok(e instanceof SchemaNewerError);
      assert.match(e.message, new RegExp(`holds bl schema version ${LATEST_VERSION + 5}, newer than this bl knows \\(${LATEST_VERSION}\\): upgrade bl`));
      return true;
    });
    assert.equal(pg.psql('SELECT count(*) FROM bl_schema', db).trim(), String(LATEST_VERSION + 1));
    assert.equal(pg.psql(`SELECT count(*) FROM pg_tables WHERE tablename = 'future_thing'`, db).trim(), '1');
  } finally {
    await pool.end();
  }
});

test('refused credentials name the user and the address, never the password', async () => {
  const msg = await refusal(pg.tcpUrl('postgres', 'wrong-password'));
  assert.match(msg, new RegExp(`PostgreSQL refused the credentials of user "bl" at postgres://bl@127\\.0\\.0\\.1:${pg.port}/postgres`));
  assert.doesNotMatch(msg, /wrong-password/);
});

test('a database that does not exist says so and how to make it', async () => {
  const msg = await refusal(pg.url('no_such_db'));
  assert.match(msg, /the database "no_such_db" does not exist at postgres:\/\/bl@\[socket .*\]:\d+\/no_such_db: create it/);
});

test('a server that is down: connection refused over TCP, a missing socket over a Unix socket', async () => {
  const tcp = pg.tcpUrl();
  const sock = pg.url();
  await pg.halt();
  try {
    assert.match(await refusal(tcp), new RegExp(`no PostgreSQL server answers at postgres://bl@127\\.0\\.0\\.1:${pg.port}/postgres \\(connection refused\\)`));
    assert.match(await refusal(sock), new RegExp(`its socket ${pg.socketDir}/\\.s\\.PGSQL\\.${pg.port} does not exist`));
  } finally {
    await pg.start();
  }
});
