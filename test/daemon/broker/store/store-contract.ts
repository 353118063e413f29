// The one suite every JobStore must pass (BullMQ's conformance idea): queue order, claims,
// ends, re-queues, idempotency keys, pages in both orders, id references, purges, counts,
// settings, and durability.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MATCH_COUNT_CAP, SHORT_ID_LENGTH } from '../../../../daemon/broker/store/store.js';
import type { PgJobStore } from '../../../../daemon/broker/store/pg-store.js';

/** The verbs every store has (PgJobStore: the PostgreSQL store has no `after` yet). */
type AsyncJobStore = PgJobStore;
import type { NewJob } from '../../../../daemon/broker/types.js';

export interface StoreFactory {
  /** A fresh, empty store. */
  make(): Promise<{ store: AsyncJobStore; reopen: () => Promise<AsyncJobStore>; close: () => Promise<void> }>;
}

export function job(command: string, over: Partial<NewJob> = {}): NewJob {
  return { command, argv: null, cwd: '/', env: {}, queue: 'normal', timeout: null, idleCpu: null, retries: 0, key: null, labels: {}, ...over };
}

const claim = (s: AsyncJobStore, urgentOnly = false) => s.claimNext({ urgentOnly, launcher: 'local', host: 'h', now: Date.now() });
/** A claim for a launcher with `maxTimeout` seconds left. */
const claimFit = (s: AsyncJobStore, maxTimeout: number, urgentOnly = false) => s.claimNext({ urgentOnly, maxTimeout, launcher: 'pilot', host: 'h', now: Date.now() });
const ended = { exitCode: 0, signal: null, usage: null, reason: null, now: 1 };

export function storeContract(name: string, f: StoreFactory): void {
  describe(`JobStore contract: ${name}`, () => {
    it('claims urgent FIFO before normal FIFO, and urgent-only claims leave normal jobs', async () => {
      const { store, close } = await f.make();
      await store.enqueue([job('n1'), job('u1', { queue: 'urgent' }), job('n2')], 1);
      await store.enqueue([job('u2', { queue: 'urgent' })], 2);
      assert.equal((await claim(store, true))?.command, 'u1');
      assert.equal((await claim(store))?.command, 'u2');
      assert.equal(await claim(store, true), undefined);
      assert.deepEqual([(await claim(store))?.command, (await claim(store))?.command, await claim(store)], ['n1', 'n2', undefined]);
      await close();
    });

    it('with a max timeout, claims the first job that fits, urgent first; no timeout fits; the others keep their places', async () => {
      const { store, close } = await f.make();
      await store.enqueue([job('n-long', { timeout: 3600 }), job('n-fit', { timeout: 600 }), job('n-none'), job('n-edge', { timeout: 540 })], 1);
      await store.enqueue([job('u-long', { queue: 'urgent', timeout: 7200 }), job('u-fit', { queue: 'urgent', timeout: 30 })], 2);
      assert.equal((await claimFit(store, 540, true))?.command, 'u-fit', 'urgent-only passes over the urgent job that does not fit');
      assert.equal(await claimFit(store, 540, true), undefined, 'no other urgent job fits');
      assert.equal((await claimFit(store, 540))?.command, 'n-none', 'a job with no timeout fits (its length is unknown)');
      assert.equal((await claimFit(store, 540))?.command, 'n-edge', 'a timeout equal to the time left fits');
      assert.equal(await claimFit(store, 540), undefined, 'nothing else fits');
      assert.equal((await claimFit(store, 600))?.command, 'n-fit');
      assert.equal((await store.counts()).byState.pending, 2);
      assert.deepEqual([(await claim(store))?.command, (await claim(store))?.command, await claim(store)], ['u-long', 'n-long', undefined], 'the jobs passed over, still in order');
      await close();
    });

    it('a job re-queued, cancelled or purged is seen by a claim with a max timeout as by any other', async () => {
      const { store, close } = await f.make();
      const [short, long] = (await store.enqueue([job('short', { timeout: 10 }), job('long', { timeout: 1000 })], 1)).jobs;
      const s = (await claimFit(store, 100))!;
      assert.equal(s.id, short!.id);
      assert.equal(await claimFit(store, 100), undefined);
      await store.requeue(s.id, { head: false, attempt: 2, reason: 'evicted' });
      assert.equal((await claimFit(store, 100))?.id, short!.id, 'back in the queue, it fits again');
      assert.ok(await store.cancelPending(long!.id, 2));
      assert.equal(await claimFit(store, 1e6), undefined, 'a cancelled job is not claimed');
      await store.enqueue([job('p', { timeout: 5, queue: 'urgent' })], 3);
      await store.purge('pending');
      assert.equal(await claimFit(store, 1e6), undefined, 'a purged job is not claimed');
      await store.enqueue([job('q', { timeout: 5 })], 4);
      assert.equal((await claimFit(store, 5))?.command, 'q');
      await close();
    });

    it('a claim with a max timeout sees the jobs of a reopened store', async () => {
      const { store, reopen, close } = await f.make();
      await store.enqueue([job('long', { timeout: 1000 }), job('short', { timeout: 10, queue: 'urgent' })], 1);
      const s2 = await reopen();
      assert.equal((await claimFit(s2, 10))?.command, 'short');
      assert.equal(await claimFit(s2, 999), undefined);
      assert.equal((await claimFit(s2, 1000))?.command, 'long');
      await close();
    });

    it('gives monotonic ids and keeps counts by state and queue', async () => {
      const { store, close } = await f.make();
      const { jobs } = await store.enqueue([job('a'), job('b', { queue: 'urgent' }), job('c')], 5);
      assert.ok(jobs[0]!.id < jobs[1]!.id && jobs[1]!.id < jobs[2]!.id);
      assert.deepEqual((await store.counts()).pendingByQueue, { urgent: 1, normal: 2 });
      const b = (await claim(store))!;
      assert.equal(b.state, 'running');
      assert.equal((await store.finish(b.id, { ...ended, state: 'failed', exitCode: 3 }))?.exitCode, 3);
      const c = await store.counts();
      assert.equal(c.byState.pending, 2);
      assert.equal(c.byState.failed, 1);
      assert.equal(c.byState.running, 0);
      await close();
    });

    it("keeps a job's limits as submitted, claimed and reopened; none is null", async () => {
      const { store, reopen, close } = await f.make();
      const limits = { memory_max: 64 * 1024 * 1024, cpu_max: 0.5, pids_max: 32 };
      const { jobs } = await store.enqueue([job('limited', { limits }), job('free')], 1);
      assert.deepEqual(jobs.map((j) => j.limits), [limits, null]);
      assert.deepEqual((await claim(store))?.limits, limits);
      const again = await reopen();
      assert.deepEqual((await again.get(jobs[0]!.id))?.limits, limits);
      assert.equal((await again.get(jobs[1]!.id))?.limits, null);
      await close();
    });

    it("keeps how a job's log is copied (rotation, timestamps) as submitted, claimed and reopened; none is null", async () => {
      const { store, reopen, close } = await f.make();
      const logOutput = { maxBytes: 1 << 20, keep: 3, timestamps: true };
      const { jobs } = await store.enqueue([job('copied', { logOutput }), job('plain')], 1);
      assert.deepEqual(jobs.map((j) => j.logOutput), [logOutput, null]);
      assert.deepEqual((await claim(store))?.logOutput, logOutput);
      const again = await reopen();
      assert.deepEqual((await again.get(jobs[0]!.id))?.logOutput, logOutput);
      assert.equal((await again.get(jobs[1]!.id))?.logOutput, null);
      await close();
    });

    it('ends only running jobs and cancels only pending ones', async () => {
      const { store, close } = await f.make();
      const [a, b] = (await store.enqueue([job('a'), job('b')], 1)).jobs;
      assert.equal(await store.finish(a!.id, { ...ended, state: 'succeeded' }), undefined, 'a pending job cannot finish');
      await claim(store);
      assert.equal(await store.cancelPending(a!.id, 2), undefined, 'a running job is not cancelled here');
      assert.equal((await store.cancelPending(b!.id, 2))?.state, 'cancelled');
      assert.equal((await store.finish(a!.id, { ...ended, state: 'succeeded' }))?.state, 'succeeded');
      assert.equal(await store.finish(a!.id, { ...ended, state: 'failed' }), undefined, 'ends once');
      await close();
    });

    it('re-queues at the head or the tail of the job’s own queue', async () => {
      const { store, close } = await f.make();
      await store.enqueue([job('a'), job('b'), job('c'), job('u', { queue: 'urgent' })], 1);
      await claim(store); // u
      const a = (await claim(store))!;
      assert.equal(a.command, 'a');
      const back = (await store.requeue(a.id, { head: true, attempt: 2, reason: 'crash' }))!;
      assert.equal(back.attempt, 2);
      assert.equal(back.state, 'pending');
      assert.equal((await claim(store))?.command, 'a');
      await store.requeue(a.id, { head: false, attempt: 3, reason: null });
      assert.deepEqual([(await claim(store))?.command, (await claim(store))?.command, (await claim(store))?.command], ['b', 'c', 'a']);
      await close();
    });

    it('returns the first job for a repeated idempotency key, within and across submits', async () => {
      const { store, close } = await f.make();
      const r1 = await store.enqueue([job('a', { key: 'k1' }), job('b', { key: 'k1' })], 1);
      assert.equal(r1.jobs[1]!.id, r1.jobs[0]!.id);
      assert.deepEqual(r1.reused, [false, true]);
      const r2 = await store.enqueue([job('c', { key: 'k1' }), job('d', { key: 'k2' })], 2);
      assert.equal(r2.jobs[0]!.id, r1.jobs[0]!.id);
      assert.equal(r2.jobs[0]!.command, 'a');
      assert.equal((await store.counts()).byState.pending, 2);
      await close();
    });

    it('pages pending jobs in dispatch order and ended ones by id, with `next` until the end', async () => {
      const { store, close } = await f.make();
      await store.enqueue([job('n1'), job('n2'), job('u1', { queue: 'urgent' }), job('n3'), job('u2', { queue: 'urgent' })], 1);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const p = await store.listPage('pending', after, 2);
        seen.push(...p.jobs.map((j) => j.command!));
        if (!p.next) break;
        after = p.next;
      }
      assert.deepEqual(seen, ['u1', 'u2', 'n1', 'n2', 'n3']);
      for (let i = 0; i < 3; i++) {
        const j = (await claim(store))!;
        await store.finish(j.id, { ...ended, state: i === 1 ? 'failed' : 'succeeded' });
      }
      const done = await store.listPage('completed', undefined, 10);
      assert.deepEqual(done.jobs.map((j) => j.command), ['n1', 'u1', 'u2']);
      assert.equal(done.next, null);
      assert.deepEqual((await store.listPage('errors', undefined, 10)).jobs.map((j) => j.command), ['u2']);
      assert.deepEqual((await store.listPage('all', undefined, 10)).jobs.length, 5);
      const p1 = await store.listPage('completed', undefined, 1);
      assert.deepEqual((await store.listPage('completed', p1.next!, 10)).jobs.map((j) => j.command), ['u1', 'u2']);
      await close();
    });

    it('pages newest first with order desc, for every filter, with `next` until the end', async () => {
      const { store, close } = await f.make();
      await store.enqueue([job('n1'), job('u1', { queue: 'urgent' }), job('n2')], 1);
      await store.enqueue([job('n3'), job('u2', { queue: 'urgent' })], 2);
      const walk = async (filter: 'all' | 'pending' | 'completed', size: number) => {
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const p = await store.listPage(filter, after, size, 'desc');
          seen.push(...p.jobs.map((j) => j.command!));
          if (!p.next) return seen;
          after = p.next;
        }
      };
      assert.deepEqual(await walk('all', 2), ['u2', 'n3', 'n2', 'u1', 'n1']);
      assert.deepEqual(await walk('pending', 2), ['u2', 'n3', 'n2', 'u1', 'n1'], 'newest submitted first, not dispatch order');
      for (let i = 0; i < 3; i++) await store.finish((await claim(store))!.id, { ...ended, state: 'succeeded' }); // u1, u2, n1
      assert.deepEqual(await walk('completed', 1), ['u2', 'u1', 'n1']);
      assert.deepEqual(await walk('pending', 5), ['n3', 'n2']);
      assert.deepEqual((await store.listPage('all', undefined, 10)).jobs.map((j) => j.command), ['n1', 'u1', 'n2', 'n3', 'u2'], 'asc stays the default');
      await close();
    });

    it('resolves a full id, a prefix in any case and the short id; counts what a prefix names', async () => {
      const { store, close } = await f.make();
      const { jobs } = await store.enqueue([job('a'), job('b'), job('c')], 7);
      const [a, b, c] = jobs as [NonNullable<(typeof jobs)[0]>, NonNullable<(typeof jobs)[0]>, NonNullable<(typeof jobs)[0]>];
      const one = async (ref: string) => {
        const m = await store.resolveId(ref, 5);
        return m.count === 1 ? m.jobs[0]!.command : `${m.count} matches`;
      };
      assert.equal(await one(b.id), 'b');
      assert.equal(await one(b.id.toLowerCase()), 'b');
      assert.equal(await one(c.id.slice(0, -1) + c.id.slice(-1).toLowerCase()), 'c');
      assert.equal(await one(a.id.slice(-SHORT_ID_LENGTH)), 'a', 'the short id the dashboard shows');
      assert.equal(await one(a.id.slice(-SHORT_ID_LENGTH).toLowerCase()), 'a');
      assert.equal(await one(a.id.slice(-SHORT_ID_LENGTH + 1)), '0 matches', 'only the short id: another ending names nothing');
      assert.equal(await one('0X1'), '0 matches');
      const prefix = a.id.slice(0, 10); // the time part the three share
      const all = await store.resolveId(prefix.toLowerCase(), 2);
      assert.equal(all.count, 3);
      assert.deepEqual(all.jobs.map((j) => j.command), ['c', 'b'], 'the first `show`, newest first');
      // A prefix naming more than the cap is counted up to it, not further.
      await store.enqueue(Array.from({ length: MATCH_COUNT_CAP + 5 }, (_, i) => job(`echo ${i}`)), 7);
      const many = await store.resolveId(prefix, 3);
      assert.equal(many.count, MATCH_COUNT_CAP);
      assert.deepEqual(many.jobs.map((j) => j.command), [`echo ${MATCH_COUNT_CAP + 4}`, `echo ${MATCH_COUNT_CAP + 3}`, `echo ${MATCH_COUNT_CAP + 2}`]);
      assert.equal((await store.resolveId((await store.listPage('all', undefined, 1, 'desc')).jobs[0]!.id, 3)).count, 1, 'a full id names only its job');
      await close();
    });

    it('purges exactly what it names and never a running job', async () => {
      const { store, close } = await f.make();
      await store.enqueue([job('r'), job('done'), job('p1'), job('p2', { queue: 'urgent' })], 1);
      // claim order: p2 (urgent), r, done
      const p2 = (await claim(store))!;
      await store.finish(p2.id, { ...ended, state: 'succeeded' });
      const running = (await claim(store))!;
      const done = (await claim(store))!;
      await store.finish(done.id, { ...ended, state: 'failed' });
      await store.enqueue([job('p3')], 2);
      assert.equal((await store.purge('completed')).removed, 2);
      assert.deepEqual((await store.listPage('all', undefined, 10)).jobs.map((j) => j.command).sort(), ['p1', 'p3', 'r']);
      assert.equal((await store.purge('pending')).removed, 2);
      assert.deepEqual((await store.listPage('all', undefined, 10)).jobs.map((j) => j.command), ['r']);
      await store.enqueue([job('p4')], 3);
      await store.finish(running.id, { ...ended, state: 'succeeded' });
      const again = (await store.enqueue([job('p5')], 4)).jobs[0]!;
      const r2 = (await claim(store))!; // p4 runs
      const res = await store.purge('all');
      assert.equal(res.removed, 2, 'the ended r and the pending p5');
      assert.deepEqual((await store.listPage('all', undefined, 10)).jobs.map((j) => j.id), [r2.id]);
      assert.equal(await store.get(again.id), undefined);
      const c = await store.counts();
      assert.equal(c.byState.running, 1);
      assert.equal(c.byState.pending + c.byState.succeeded + c.byState.failed, 0);
      await close();
    });

    it("keeps a job's notes in order, across a reopen, until a purge removes them with the job", async () => {
      const { store, reopen, close } = await f.make();
      const [a, b] = (await store.enqueue([job('a'), job('b')], 1)).jobs;
      await store.addNote(a!.id, 'first', 10);
      await store.addNote(b!.id, 'of b', 11);
      await store.addNote(a!.id, 'second', 12);
      const s2 = await reopen();
      assert.deepEqual(await s2.notes(a!.id), [{ at: 10, text: 'first' }, { at: 12, text: 'second' }]);
      assert.deepEqual(await s2.notes('NOSUCHJOB'), []);
      const ran = (await claim(s2))!;
      await s2.finish(ran.id, { ...ended, state: 'succeeded' });
      await s2.purge('completed');
      assert.deepEqual(await s2.notes(a!.id), [], 'purged with its job');
      assert.deepEqual(await s2.notes(b!.id), [{ at: 11, text: 'of b' }], 'the pending job keeps its own');
      await close();
    });

    it('keeps jobs, their order, counts and settings when reopened', async () => {
      const { store, reopen, close } = await f.make();
      await store.enqueue([job('a'), job('b'), job('u', { queue: 'urgent' })], 1);
      const running = (await claim(store))!;
      await store.markStarted(running.id, { pid: 4242, pgid: 4242, procStart: 77 });
      await store.setSetting('concurrency', '7');
      const s2 = await reopen();
      assert.equal(await s2.getSetting('concurrency'), '7');
      assert.equal(await s2.getSetting('nothing'), undefined);
      const r = await s2.running();
      assert.equal(r.length, 1);
      assert.deepEqual([r[0]!.pid, r[0]!.pgid, r[0]!.procStart], [4242, 4242, 77]);
      assert.equal((await s2.counts()).byState.pending, 2);
      const n = await s2.enqueue([job('c')], 2);
      assert.equal(n.jobs.length, 1);
      assert.deepEqual([(await claim(s2))?.command, (await claim(s2))?.command, (await claim(s2))?.command], ['a', 'b', 'c']);
      await close();
    });
  });
}
