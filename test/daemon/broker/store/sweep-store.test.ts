// The store's side of sweeps: a combination counts as done only once a job with its key has
// succeeded, http and params survive a reopen, and a store made before sweeps gains the column.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../../../daemon/broker/store/sqlite-store.js';
import { openDb } from '../../../../daemon/state/db.js';
import { job } from './store-contract.js';

const claim = (s: SqliteStore) => s.claimNext({ urgentOnly: false, launcher: 'local', host: 'h', now: Date.now() })!;
const end = (s: SqliteStore, id: string, state: 'succeeded' | 'failed') => s.finish(id, { state, exitCode: null, signal: null, usage: null, reason: null, now: Date.now() });

describe('SQLite store: sweeps and http jobs', () => {
  it('knows a sweep key as done once, and only once, a job with it succeeded', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-sweep-store-'));
    const db = openDb(dir);
    try {
      const s = new SqliteStore(db);
      s.enqueue([job('a', { sweepKey: 'k1', params: { n: 1 } }), job('b', { sweepKey: 'k2', params: { n: 2 } })], Date.now());
      assert.deepEqual([...s.succeededSweeps(['k1', 'k2', 'k3'])], [], 'pending is not done');
      const a = claim(s);
      assert.deepEqual(a.params, { n: 1 });
      assert.deepEqual([...s.succeededSweeps(['k1'])], [], 'running is not done');
      end(s, a.id, 'succeeded');
      end(s, claim(s).id, 'failed');
      assert.deepEqual([...s.succeededSweeps(['k1', 'k2', 'k3'])], ['k1'], 'a failed one may run again');
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps http and params across a reopen', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-sweep-store-'));
    const http = { url: 'http://127.0.0.1:1/x', method: 'POST', body: '{}', headers: { 'X-A': 'b' } };
    let db = openDb(dir);
    try {
      const [r] = new SqliteStore(db).enqueue([{ ...job('', { http, params: { a: 'x' } }), command: null }], Date.now()).jobs;
      assert.deepEqual([r!.http, r!.params], [http, { a: 'x' }]);
      db.close();
      db = openDb(dir);
      const again = new SqliteStore(db).get(r!.id)!;
      assert.deepEqual([again.command, again.http, again.params], [null, http, { a: 'x' }]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('adds the sweep_key column to a store made before sweeps', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-sweep-store-'));
    let db = openDb(dir);
    try {
      new SqliteStore(db);
      // As an earlier bl left it: no column, no index.
      db.exec('DROP INDEX broker_jobs_sweep; ALTER TABLE broker_jobs DROP COLUMN sweep_key');
      db.close();
      db = openDb(dir);
      const s = new SqliteStore(db);
      s.enqueue([job('a', { sweepKey: 'old-db' })], Date.now());
      end(s, claim(s).id, 'succeeded');
      assert.deepEqual([...s.succeededSweeps(['old-db'])], ['old-db']);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
