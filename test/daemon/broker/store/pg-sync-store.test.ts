// The broker's synchronous JobStore on PostgreSQL (a worker thread waited on): the one store
// contract and the dependency contract through it, on a real server, plus what sharing adds:
// leases taken over from a daemon that stopped renewing, and a server that goes away.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BlError } from '../../../../contract/errors.js';
import { asyncStore } from '../../../../daemon/broker/store/async-store.js';
import { PgSyncStore } from '../../../../daemon/broker/store/pg-sync-store.js';
import { storeUnavailable } from '../../../../daemon/broker/store/store-errors.js';
import { pgTarget } from '../../../../daemon/state/pg/pg-target.js';
import { startPostgres, type Postgres } from '../../../helpers/postgres.js';
import { dependencyContract } from './dependency-contract.js';
import { job, storeContract } from './store-contract.js';

let server: Postgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

let owners = 0;
const open = (db: string, over: { owner?: string; leaseMs?: number } = {}) =>
  PgSyncStore.open({ target: pgTarget(server.url(db), {}, 'root'), owner: over.owner ?? `d${++owners}`, leaseMs: over.leaseMs ?? 60_000 });

function make() {
  const db = server.createDatabase('sync');
  const stores = [open(db, { owner: 'one' })];
  return {
    store: stores[0]!,
    // The same daemon again (its leases are its own), as after a restart.
    reopen: () => {
      stores.push(open(db, { owner: 'one' }));
      return stores[stores.length - 1]!;
    },
    close: () => {
      for (const s of stores) void s.close();
    },
  };
}

storeContract('PostgreSQL through the blocking worker', {
  make: async () => {
    const m = make();
    return { store: asyncStore(m.store), reopen: async () => asyncStore(m.reopen()), close: async () => m.close() };
  },
});
dependencyContract('PostgreSQL through the blocking worker', { make });

/** Until the backends of `db` in a transaction are gone (psql waits: no sleep of ours). */
function waitGone(db: string): void {
  while (server.psql("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND application_name LIKE 'bl-daemon%'", db).trim() !== '0');
}

/** `f()` once it stops throwing what `retry` accepts (a store that fails fast for a moment). */
async function until<T>(f: () => T, retry: (e: unknown) => boolean): Promise<T> {
  for (;;) {
    try {
      return f();
    } catch (e) {
      if (!retry(e)) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('PostgreSQL store shared by daemons, through the blocking worker', () => {
  const claim = (s: PgSyncStore, now: number) => s.claimNext({ urgentOnly: false, launcher: 'local', host: 'h', now });

  it("takes over the running jobs of a daemon whose lease ran out; that daemon's late end does not count", () => {
    const db = server.createDatabase('lease');
    const a = open(db, { owner: 'a', leaseMs: 1000 });
    const b = open(db, { owner: 'b', leaseMs: 1000 });
    try {
      const [once, twice] = a.enqueue([job('once'), job('twice', { retries: 1 })], 1).jobs;
      assert.equal(claim(a, 10)?.id, once!.id);
      assert.equal(claim(a, 10)?.id, twice!.id);
      assert.deepEqual(a.running().map((j) => j.id), [once!.id, twice!.id], 'what a answers for');
      assert.deepEqual(b.running(), [], 'nothing of b');
      assert.deepEqual(b.takeOverExpired(500), [], 'leases that hold are left alone');
      assert.equal(a.heartbeat('h', 1, null, 900), 2, 'a renews both');
      assert.deepEqual(b.takeOverExpired(1500), [], 'renewed until 1900');
      assert.deepEqual(a.takeOverExpired(5000), [], "a daemon never takes over its own jobs");
      const taken = b.takeOverExpired(5000);
      assert.deepEqual(taken.map((t) => [t.job.command, t.job.state, t.job.attempt, t.from]).sort(), [['once', 'lost', 1, 'a'], ['twice', 'pending', 2, 'a']]);
      assert.match(taken[0]!.job.reason!, /its daemon a stopped renewing its lease/);
      // b runs the second attempt; a's late end of its first one changes nothing.
      assert.equal(claim(b, 6000)?.id, twice!.id);
      const late = a.finish(twice!.id, { state: 'succeeded', exitCode: 0, signal: null, usage: null, reason: null, now: 6001 });
      assert.equal(late, undefined, 'not a\'s job any more');
      assert.deepEqual(
        b.notes(twice!.id).map((n) => n.text),
        ['late end from daemon a (succeeded, exit code 0) ignored: its lease on the job was taken over; attempt 2 runs on daemon b'],
        'kept as a note every daemon reads',
      );
      assert.equal(a.requeue(twice!.id, { head: true, attempt: 2, reason: 'late' }), undefined);
      assert.match(b.notes(twice!.id)[1]!.text, /^late end from daemon a \(back to the queue as attempt 2: late\) ignored/);
      assert.equal(b.get(twice!.id)?.state, 'running');
      assert.equal(b.finish(twice!.id, { state: 'succeeded', exitCode: 0, signal: null, usage: null, reason: null, now: 6002 })?.state, 'succeeded');
      assert.deepEqual(b.daemons(0).map((d) => d.id), ['a']);
    } finally {
      void a.close();
      void b.close();
    }
  });

  it('a cancel asked through another daemon stands for the holder until the job ends', () => {
    const db = server.createDatabase('cancel');
    const a = open(db, { owner: 'a' });
    const b = open(db, { owner: 'b' });
    try {
      const [j, k] = a.enqueue([job('held by a'), job('pending')], 1).jobs;
      assert.equal(claim(a, 10)?.id, j!.id);
      assert.equal(a.requestCancel(j!.id, 20), undefined, 'a holds it: no other daemon to ask');
      assert.equal(b.requestCancel(k!.id, 20), undefined, 'nobody holds a pending job');
      assert.deepEqual(a.cancelRequests(), []);
      assert.equal(b.requestCancel(j!.id, 20), 'a', 'the holder named');
      assert.deepEqual(a.cancelRequests(), [j!.id]);
      assert.deepEqual(b.cancelRequests(), [], 'asked of a, not of b');
      a.finish(j!.id, { state: 'cancelled', exitCode: null, signal: 'SIGTERM', usage: null, reason: 'cancelled by request', now: 30 });
      assert.deepEqual(a.cancelRequests(), [], 'gone with the end');
    } finally {
      void a.close();
      void b.close();
    }
  });

  it('refusals stay refusals (400), and a server gone answers "unavailable" (503) until it is back', async () => {
    const db = server.createDatabase('down');
    const s = open(db);
    try {
      assert.throws(() => s.enqueue([job('x', { after: ['NOSUCHJOB'] })], 1), (e: unknown) => e instanceof BlError && e.status === 400 && /no such job/.test(e.message));
      s.enqueue([job('before')], 1);
      await server.halt();
      let err: unknown;
      try {
        s.enqueue([job('during')], 2);
      } catch (e) {
        err = e;
      }
      const u = storeUnavailable(err, 'nothing was submitted');
      assert.ok(u, `a 503, not ${String(err)}`);
      assert.equal(u.status, 503);
      assert.match(u.message, /PostgreSQL/);
      await server.start();
      // Calls fail at once for a moment after a failure, then try again.
      let n: number | undefined;
      for (let i = 0; n === undefined; i++) {
        try {
          n = s.counts().byState.pending;
        } catch (e) {
          assert.ok(storeUnavailable(e, ''), String(e));
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        }
      }
      assert.equal(n, 1, 'what was acknowledged is there; what was refused is not');
    } finally {
      await s.close();
    }
  });

  it("a held transaction's connection ended by the server (a shutdown's farewell): that transaction fails as unavailable, the store goes on", async () => {
    const db = server.createDatabase('farewell');
    const restarted: string[] = [];
    const s = PgSyncStore.open({ target: pgTarget(server.url(db), {}, 'root'), owner: 'f', leaseMs: 60_000, onRestarted: (why) => restarted.push(why) });
    try {
      const unavailable = (e: unknown) => storeUnavailable(e, '') !== undefined;
      assert.throws(
        () =>
          s.atomically(() => {
            s.enqueue([job('lost with its transaction')], 1);
            server.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND application_name LIKE 'bl-daemon%'", db);
            // The server's farewell reaches the worker while its connection is idle in the
            // transaction: the case that ended the thread when nothing listened to it.
            waitGone(db);
            s.get('NOSUCHJOB');
          }),
        unavailable,
      );
      const id = await until(() => s.enqueue([job('after')], 2).jobs[0]!.id, unavailable);
      assert.deepEqual(s.listPage('all', undefined, 10).jobs.map((j) => j.command), ['after'], 'the failed transaction left nothing');
      assert.equal(s.get(id)?.state, 'pending');
      assert.deepEqual(restarted, [], 'the worker thread lived through it');
    } finally {
      await s.close();
    }
  });

  it("a daemon stuck inside a transaction (stopped, cut off) does not hold the others' writes: the server ends its session", () => {
    const db = server.createDatabase('stuck');
    const a = PgSyncStore.open({ target: pgTarget(server.url(db), {}, 'root'), owner: 'a', leaseMs: 60_000, idleInTransactionMs: 300 });
    const b = open(db, { owner: 'b' });
    try {
      assert.throws(
        () =>
          a.atomically(() => {
            a.enqueue([job('never committed')], 1);
            // a holds the write lock and sends nothing more, as a stopped daemon would; b's
            // write waits for the lock only until the server ends a's idle session.
            assert.equal(b.enqueue([job('b writes')], 2).jobs.length, 1);
            a.get('NOSUCHJOB');
          }),
        (e: unknown) => storeUnavailable(e, '') !== undefined,
      );
      assert.deepEqual(b.listPage('all', undefined, 10).jobs.map((j) => j.command), ['b writes'], "a's transaction was rolled back");
    } finally {
      void a.close();
      void b.close();
    }
  });

  it('a store whose worker thread died is served by a new one at its next call', async () => {
    const db = server.createDatabase('reborn');
    const restarted: string[] = [];
    const s = PgSyncStore.open({ target: pgTarget(server.url(db), {}, 'root'), owner: 'r', leaseMs: 60_000, onRestarted: (why) => restarted.push(why) });
    try {
      const [j] = s.enqueue([job('kept')], 1).jobs;
      const w = (s as unknown as { w: { dead: Error | undefined; worker: { terminate(): Promise<number> } } }).w;
      await w.worker.terminate();
      await until(() => assert.ok(w.dead), () => true);
      assert.equal(s.get(j!.id)?.command, 'kept', 'answered by the new thread');
      assert.equal(restarted.length, 1);
      assert.match(restarted[0]!, /exited/);
    } finally {
      await s.close();
    }
  });

  it('a wrong address stops the open with the reason and the address, never the password', () => {
    assert.throws(
      () => PgSyncStore.open({ target: pgTarget('postgres://bl:sekret@127.0.0.1:1/x', {}, 'root'), owner: 'z', leaseMs: 1000 }),
      (e: Error) => /127\.0\.0\.1:1/.test(e.message) && !/sekret/.test(e.message),
    );
  });
});
