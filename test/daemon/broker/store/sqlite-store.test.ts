// The store contract against the SQLite store on a real file, plus what only SQLite promises.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HEAD_ANY, HEAD_FIT_ANY, HEAD_FIT_URGENT, HEAD_URGENT, IDS_WITH_PREFIX, IDS_WITH_SUFFIX, SqliteStore } from '../../../../daemon/broker/store/sqlite-store.js';
import { openDb, type Db } from '../../../../daemon/state/db.js';
import { job, storeContract } from './store-contract.js';
import { asyncStore } from '../../../../daemon/broker/store/async-store.js';
import { dependencyContract } from './dependency-contract.js';

function make() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-store-'));
  const dbs: Db[] = [openDb(dir)];
  return {
    store: new SqliteStore(dbs[0]!),
    reopen: () => {
      dbs.push(openDb(dir));
      return new SqliteStore(dbs[dbs.length - 1]!);
    },
    close: () => {
      for (const d of dbs) d.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeContract('SQLite', {
  make: async () => {
    const m = make();
    return { store: asyncStore(m.store), reopen: async () => asyncStore(m.reopen()), close: async () => m.close() };
  },
});
dependencyContract('SQLite', { make });

describe('SQLite store', () => {
  it('claims with the pending index, not a scan of the table', () => {
    const { store, close } = make();
    const db = (store as unknown as { db: Db }).db;
    for (const [sql, args] of [[HEAD_ANY, []], [HEAD_URGENT, []], [HEAD_FIT_ANY, [600]], [HEAD_FIT_URGENT, [600]]] as const) {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...args)
        .map((r) => (r as { detail: string }).detail)
        .join(' | ');
      assert.match(plan, /USING (COVERING )?INDEX broker_jobs_pending/);
      assert.doesNotMatch(plan, /TEMP B-TREE/, 'no sort of the pending rows');
      // The timeout is in the index entry: a job passed over costs no read of its row.
      if (sql === HEAD_FIT_ANY || sql === HEAD_FIT_URGENT) assert.match(plan, /USING COVERING INDEX broker_jobs_pending/, plan);
    }
    close();
  });

  it('builds the pending index again, with the timeout, in a store file written before it had one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-store-'));
    const db = openDb(dir);
    new SqliteStore(db).enqueue([job('long', { timeout: 100 }), job('short', { timeout: 5 })], 1);
    db.exec('DROP INDEX broker_jobs_pending; CREATE INDEX broker_jobs_pending ON broker_jobs(queue_rank, pos) WHERE phase = 0');
    const again = new SqliteStore(db);
    const cols = (db.prepare(`PRAGMA index_info(broker_jobs_pending)`).all() as { name: string }[]).map((c) => c.name);
    assert.deepEqual(cols, ['queue_rank', 'pos', 'timeout']);
    assert.equal(again.claimNext({ urgentOnly: false, maxTimeout: 10, launcher: 'p', host: 'h', now: 2 })?.command, 'short');
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves a prefix by a range of the id index and a short id by its own index: no scan', () => {
    const { store, close } = make();
    const db = (store as unknown as { db: Db }).db;
    const plan = (sql: string, ...args: unknown[]) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...args)
        .map((r) => (r as { detail: string }).detail)
        .join(' | ');
    const prefix = plan(IDS_WITH_PREFIX, '01J', '01J\uffff', 1000);
    assert.match(prefix, /SEARCH broker_jobs USING COVERING INDEX sqlite_autoindex_broker_jobs_1 \(id>\? AND id<\?\)/);
    assert.doesNotMatch(prefix, /TEMP B-TREE/, 'newest first straight from the index');
    assert.match(plan(IDS_WITH_SUFFIX, 'ABCD1234', 1000), /SEARCH broker_jobs USING INDEX broker_jobs_short_id \(<expr>=\?\)/);
    close();
  });

  it('adds the short-id index to a store file written before it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-store-'));
    const db = openDb(dir);
    const id = new SqliteStore(db).enqueue([job('old')], 1).jobs[0]!.id;
    db.exec('DROP INDEX broker_jobs_short_id');
    const again = new SqliteStore(db);
    assert.equal(again.resolveId(id.slice(-8), 1).jobs[0]?.command, 'old');
    assert.ok(db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'broker_jobs_short_id'`).get());
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Its speed is bench/broker.ts's "batch submit" figure, not an assertion here.
  it('enqueues 10,000 jobs in one call, all pending, in the order given', () => {
    const { store, close } = make();
    const r = store.enqueue(Array.from({ length: 10000 }, (_, i) => job(`echo ${i}`)), 1);
    assert.equal(r.jobs.length, 10000);
    assert.equal(store.counts().byState.pending, 10000);
    const at = { urgentOnly: false, launcher: 'local', host: 'h', now: 2 };
    assert.equal(store.claimNext(at)?.command, 'echo 0');
    assert.equal(store.claimNext(at)?.command, 'echo 1');
    assert.equal(store.listPage('pending', undefined, 10000).jobs.at(-1)?.command, 'echo 9999');
    close();
  });
});
