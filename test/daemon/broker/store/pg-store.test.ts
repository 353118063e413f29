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

  it('a lease held by one daemon: renewed it holds; past it another daemon takes the jobs over, and a late end is refused and noted', async () => {
    const db = server.createDatabase('lease');
    const [pa, pb] = [await open(db), await open(db)];
    const a = new PgStore(pa, { owner: 'daemon-a', leaseMs: 1000 });
    const b = new PgStore(pb, { owner: 'daemon-b', leaseMs: 60_000 });
    try {
      const t0 = 1_000_000;
      await a.enqueue([job('x', { retries: 1 }), job('y', { retries: 1 }), job('z')], t0);
      const mine = [];
      for (let i = 0; i < 2; i++) mine.push((await a.claimNext({ urgentOnly: false, launcher: 'local', host: 'a', now: t0 }))!);
      await b.claimNext({ urgentOnly: false, launcher: 'local', host: 'b', now: t0 });
      assert.deepEqual(await b.takeOverExpired(t0 + 500), [], 'within the lease');
      assert.equal(await a.renewLeases('daemon-a', t0 + 3000), 2);
      assert.deepEqual(await b.takeOverExpired(t0 + 2000), [], 'renewed');
      const taken = await b.takeOverExpired(t0 + 4000);
      assert.deepEqual(taken.map((t) => [t.job.command, t.job.state, t.job.attempt, t.from]).sort(), [['x', 'pending', 2, 'daemon-a'], ['y', 'pending', 2, 'daemon-a']], "only the silent daemon's jobs");
      assert.deepEqual(await a.takeOverExpired(t0 + 4000), [], "b's lease holds");
      assert.equal(await a.finish(mine[0]!.id, { state: 'succeeded', exitCode: 0, signal: null, usage: null, reason: null, now: t0 + 5000 }), undefined, 'the late end of a re-queued job is refused');
      assert.match((await b.notes(mine[0]!.id))[0]!.text, /^late end from daemon daemon-a \(succeeded, exit code 0\) ignored: its lease on the job was taken over; it is pending \(attempt 2\)$/);
      const again = (await b.claimNext({ urgentOnly: false, launcher: 'local', host: 'b', now: t0 + 5000 }))!;
      assert.equal(again.attempt, 2);
      assert.equal(again.reason, null, 'a claim clears the reason');
      assert.equal((await b.counts()).byState.running, 2);
    } finally {
      await Promise.all([pa.end(), pb.end()]);
    }
  });

  it('daemons say they are alive in one table', async () => {
    const { store, close } = await make();
    await store.heartbeat({ id: 'd1', host: 'h1', pid: 10, url: 'http://h1:8010' }, 100);
    await store.heartbeat({ id: 'd2', host: 'h2', pid: 20, url: null }, 150);
    await store.heartbeat({ id: 'd1', host: 'h1', pid: 10, url: 'http://h1:8010' }, 300);
    assert.deepEqual((await store.daemons(200)).map((d) => [d.id, d.startedAt, d.seenAt]), [['d1', 100, 300]]);
    assert.equal((await store.daemons(0)).length, 2);
    await close();
  });
});
