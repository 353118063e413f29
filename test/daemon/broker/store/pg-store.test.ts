// The store contract against the PostgreSQL store on a real server (test/helpers/postgres.ts),
// plus what a shared store adds: several daemons' stores on one database.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { PgStore } from '../../../../daemon/broker/store/pg-store.js';
import { openPg } from '../../../../daemon/state/pg/pg-open.js';
import { migrate } from '../../../../daemon/state/pg/pg-migrate.js';
import { pgTarget } from '../../../../daemon/state/pg/pg-target.js';
import { startPostgres, type Postgres } from '../../../helpers/postgres.js';
import { job, storeContract } from './store-contract.js';

let server: Postgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

async function open(db: string): Promise<pg.Pool> {
  const pool = await openPg(pgTarget(server.url(db), {}, 'root'));
  await migrate(pool, db);
  return pool;
}

async function make() {
  const db = server.createDatabase('store');
  const pools = [await open(db)];
  return {
    store: new PgStore(pools[0]!),
    reopen: async () => {
      pools.push(await open(db));
      return new PgStore(pools[pools.length - 1]!);
    },
    close: async () => {
      await Promise.all(pools.map((p) => p.end()));
    },
  };
}

storeContract('PostgreSQL', { make });

describe('PostgreSQL store, shared by several daemons', () => {
  it('claims from two stores at once never take one job twice, and take them in queue order', async () => {
    const { store, reopen, close } = await make();
    const other = await reopen();
    const n = 200;
    await store.enqueue(Array.from({ length: n }, (_, i) => job(`j${i}`)), 1);
    const claimAll = async (s: PgStore, who: string) => {
      const got: string[] = [];
      for (;;) {
        const j = await s.claimNext({ urgentOnly: false, launcher: who, host: who, now: Date.now() });
        if (!j) return got;
        got.push(j.command!);
      }
    };
    const [a, b] = await Promise.all([claimAll(store, 'a'), claimAll(other as PgStore, 'b')]);
    assert.equal(a.length + b.length, n);
    assert.equal(new Set([...a, ...b]).size, n, 'no job claimed twice');
    const order = (xs: string[]) => xs.map((x) => Number(x.slice(1)));
    for (const xs of [order(a), order(b)]) assert.deepEqual(xs, [...xs].sort((p, q) => p - q), 'each claimer sees queue order');
    const c = await other.counts();
    assert.equal(c.byState.running, n);
    assert.equal(c.byState.pending, 0);
    await close();
  });

  it('a transaction joins the verbs it awaits, and a failure inside takes them all back', async () => {
    const { store, close } = await make();
    const [j] = (await store.enqueue([job('a'), job('b')], 1)).jobs;
    await assert.rejects(
      store.atomically(async () => {
        await store.cancelPending(j!.id, 2);
        await store.setSetting('concurrency', '9');
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal((await store.get(j!.id))?.state, 'pending');
    assert.equal(await store.getSetting('concurrency'), undefined);
    assert.equal((await store.counts()).byState.pending, 2, 'counts taken back too');
    await close();
  });
});
