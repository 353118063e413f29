import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPgStore, pgTarget, PgTargetError, redact } from '../../../daemon/state/pg/pg-target.js';

test('a URL names the server; what it leaves out comes from the PG* environment, then libpq defaults', () => {
  const t = pgTarget('postgres://alice:s3cret@db1:6543/jobs', {}, 'root');
  assert.deepEqual([t.host, t.port, t.user, t.password, t.database], ['db1', 6543, 'alice', 's3cret', 'jobs']);
  assert.equal(t.shown, 'postgres://alice@db1:6543/jobs');
  const u = pgTarget('postgresql:///', { PGHOST: 'pg.local', PGUSER: 'bob', PGPASSWORD: 'pw', PGDATABASE: 'q' }, 'root');
  assert.deepEqual([u.host, u.port, u.user, u.password, u.database], ['pg.local', 5432, 'bob', 'pw', 'q']);
  const d = pgTarget('postgres://', {}, 'carol');
  assert.deepEqual([d.host, d.port, d.user, d.database], ['localhost', 5432, 'carol', 'carol']);
});

test('"postgres" alone takes the whole server from the environment', () => {
  const t = pgTarget('postgres', { PGHOST: '/run/pg', PGPORT: '5433', PGUSER: 'bl', PGDATABASE: 'bl' }, 'root');
  assert.deepEqual([t.host, t.port, t.user, t.database], ['/run/pg', 5433, 'bl', 'bl']);
  assert.equal(t.shown, 'postgres://bl@[socket /run/pg]:5433/bl');
});

test('a socket directory in the URL (?host=) is a Unix-socket connection', () => {
  const t = pgTarget('postgres://bl@/jobs?host=%2Ftmp%2Fpg&port=7000', {}, 'root');
  assert.deepEqual([t.host, t.port, t.database], ['/tmp/pg', 7000, 'jobs']);
});

test('sslmode maps to node-postgres TLS settings; an unknown one is refused', () => {
  assert.equal(pgTarget('postgres://h/db?sslmode=disable', {}, 'u').ssl, undefined);
  assert.deepEqual(pgTarget('postgres://h/db?sslmode=require', {}, 'u').ssl, { rejectUnauthorized: false });
  assert.equal(pgTarget('postgres://h/db', { PGSSLMODE: 'verify-full' }, 'u').ssl, true);
  assert.throws(() => pgTarget('postgres://h/db', { PGSSLMODE: 'sometimes' }, 'u'), /expected sslmode to be disable, prefer, require, verify-ca or verify-full, found "sometimes"/);
});

test('bad values are refused saying what was expected, never echoing a password', () => {
  assert.throws(() => pgTarget('mysql://root:hunter2@db/x', {}, 'u'), (e: unknown) => {
    assert.ok(e instanceof PgTargetError);
    assert.match(e.message, /expected store to be "sqlite", "postgres" \(the PG\* environment\) or a postgres:\/\/ URL, found "mysql:\/\/root:\*\*\*@db\/x"/);
    assert.doesNotMatch(e.message, /hunter2/);
    return true;
  });
  assert.throws(() => pgTarget('postgres://a:hunter2@h:99999/db', {}, 'u'), /store: "postgres:\/\/a:\*\*\*@h:99999\/db" is not a valid postgres:\/\/ URL/);
  assert.throws(() => pgTarget('postgres', { PGPORT: 'abc' }, 'u'), /expected a port 1–65535 in PGPORT, found "abc"/);
});

test('isPgStore tells PostgreSQL values from the embedded store', () => {
  assert.ok(isPgStore('postgres'));
  assert.ok(isPgStore('postgres://x'));
  assert.ok(isPgStore('POSTGRESQL://x'));
  assert.ok(!isPgStore('sqlite'));
  assert.ok(!isPgStore('/var/lib/bl.db'));
});

test('redact hides passwords in the user part and in the query', () => {
  assert.equal(redact('postgres://a:b@h/d'), 'postgres://a:***@h/d');
  assert.equal(redact('postgres://h/d?password=x&sslmode=require'), 'postgres://h/d?password=***&sslmode=require');
  assert.equal(redact('postgres://a@h/d'), 'postgres://a@h/d');
});
