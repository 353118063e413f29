// The one suite every JobStore must pass (BullMQ's conformance idea): queue order, claims,
// ends, re-queues, idempotency keys, pages in both orders, id references, purges, counts,
// settings, and durability.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MATCH_COUNT_CAP, SHORT_ID_LENGTH, type JobStore } from '../../../../daemon/broker/store/store.js';
import type { NewJob } from '../../../../daemon/broker/types.js';

export interface StoreFactory {
  /** A fresh, empty store. */
  make(): { store: JobStore; reopen: () => JobStore; close: () => void };
}

export function job(command: string, over: Partial<NewJob> = {}): NewJob {
  return { command, argv: null, cwd: '/', env: {}, queue: 'normal', timeout: null, idleCpu: null, retries: 0, key: null, labels: {}, ...over };
}

const claim = (s: JobStore, urgentOnly = false) => s.claimNext({ urgentOnly, launcher: 'local', host: 'h', now: Date.now() });
/** A claim for a launcher with `maxTimeout` seconds left. */
const claimFit = (s: JobStore, maxTimeout: number, urgentOnly = false) => s.claimNext({ urgentOnly, maxTimeout, launcher: 'pilot', host: 'h', now: Date.now() });
const ended = { exitCode: 0, signal: null, usage: null, reason: null, now: 1 };

export function storeContract(name: string, f: StoreFactory): void {
  describe(`JobStore contract: ${name}`, () => {
    it('claims urgent FIFO before normal FIFO, and urgent-only claims leave normal jobs', () => {
      const { store, close } = f.make();
      store.enqueue([job('n1'), job('u1', { queue: 'urgent' }), job('n2')], 1);
      store.enqueue([job('u2', { queue: 'urgent' })], 2);
      assert.equal(claim(store, true)?.command, 'u1');
      assert.equal(claim(store)?.command, 'u2');
      assert.equal(claim(store, true), undefined);
      assert.deepEqual([claim(store)?.command, claim(store)?.command, claim(store)], ['n1', 'n2', undefined]);
      close();
    });

    it('with a max timeout, claims the first job that fits, urgent first; no timeout fits; the others keep their places', () => {
      const { store, close } = f.make();
      store.enqueue([job('n-long', { timeout: 3600 }), job('n-fit', { timeout: 600 }), job('n-none'), job('n-edge', { timeout: 540 })], 1);
      store.enqueue([job('u-long', { queue: 'urgent', timeout: 7200 }), job('u-fit', { queue: 'urgent', timeout: 30 })], 2);
      assert.equal(claimFit(store, 540, true)?.command, 'u-fit', 'urgent-only passes over the urgent job that does not fit');
      assert.equal(claimFit(store, 540, true), undefined, 'no other urgent job fits');
      assert.equal(claimFit(store, 540)?.command, 'n-none', 'a job with no timeout fits (its length is unknown)');
      assert.equal(claimFit(store, 540)?.command, 'n-edge', 'a timeout equal to the time left fits');
      assert.equal(claimFit(store, 540), undefined, 'nothing else fits');
      assert.equal(claimFit(store, 600)?.command, 'n-fit');
      assert.equal(store.counts().byState.pending, 2);
      assert.deepEqual([claim(store)?.command, claim(store)?.command, claim(store)], ['u-long', 'n-long', undefined], 'the jobs passed over, still in order');
      close();
    });

    it('a job re-queued, cancelled or purged is seen by a claim with a max timeout as by any other', () => {
      const { store, close } = f.make();
      const [short, long] = store.enqueue([job('short', { timeout: 10 }), job('long', { timeout: 1000 })], 1).jobs;
      const s = claimFit(store, 100)!;
      assert.equal(s.id, short!.id);
      assert.equal(claimFit(store, 100), undefined);
      store.requeue(s.id, { head: false, attempt: 2, reason: 'evicted' });
      assert.equal(claimFit(store, 100)?.id, short!.id, 'back in the queue, it fits again');
      assert.ok(store.cancelPending(long!.id, 2));
      assert.equal(claimFit(store, 1e6), undefined, 'a cancelled job is not claimed');
      store.enqueue([job('p', { timeout: 5, queue: 'urgent' })], 3);
      store.purge('pending');
      assert.equal(claimFit(store, 1e6), undefined, 'a purged job is not claimed');
      store.enqueue([job('q', { timeout: 5 })], 4);
      assert.equal(claimFit(store, 5)?.command, 'q');
      close();
    });

    it('a claim with a max timeout sees the jobs of a reopened store', () => {
      const { store, reopen, close } = f.make();
      store.enqueue([job('long', { timeout: 1000 }), job('short', { timeout: 10, queue: 'urgent' })], 1);
      const s2 = reopen();
      assert.equal(claimFit(s2, 10)?.command, 'short');
      assert.equal(claimFit(s2, 999), undefined);
      assert.equal(claimFit(s2, 1000)?.command, 'long');
      close();
    });

    it('gives monotonic ids and keeps counts by state and queue', () => {
      const { store, close } = f.make();
      const { jobs } = store.enqueue([job('a'), job('b', { queue: 'urgent' }), job('c')], 5);
      assert.ok(jobs[0]!.id < jobs[1]!.id && jobs[1]!.id < jobs[2]!.id);
      assert.deepEqual(store.counts().pendingByQueue, { urgent: 1, normal: 2 });
      const b = claim(store)!;
      assert.equal(b.state, 'running');
      assert.equal(store.finish(b.id, { ...ended, state: 'failed', exitCode: 3 })?.exitCode, 3);
      const c = store.counts();
      assert.equal(c.byState.pending, 2);
      assert.equal(c.byState.failed, 1);
      assert.equal(c.byState.running, 0);
      close();
    });

    it('ends only running jobs and cancels only pending ones', () => {
      const { store, close } = f.make();
      const [a, b] = store.enqueue([job('a'), job('b')], 1).jobs;
      assert.equal(store.finish(a!.id, { ...ended, state: 'succeeded' }), undefined, 'a pending job cannot finish');
      claim(store);
      assert.equal(store.cancelPending(a!.id, 2), undefined, 'a running job is not cancelled here');
      assert.equal(store.cancelPending(b!.id, 2)?.state, 'cancelled');
      assert.equal(store.finish(a!.id, { ...ended, state: 'succeeded' })?.state, 'succeeded');
      assert.equal(store.finish(a!.id, { ...ended, state: 'failed' }), undefined, 'ends once');
      close();
    });

    it('re-queues at the head or the tail of the job’s own queue', () => {
      const { store, close } = f.make();
      store.enqueue([job('a'), job('b'), job('c'), job('u', { queue: 'urgent' })], 1);
      claim(store); // u
      const a = claim(store)!;
      assert.equal(a.command, 'a');
      const back = store.requeue(a.id, { head: true, attempt: 2, reason: 'crash' })!;
      assert.equal(back.attempt, 2);
      assert.equal(back.state, 'pending');
      assert.equal(claim(store)?.command, 'a');
      store.requeue(a.id, { head: false, attempt: 3, reason: null });
      assert.deepEqual([claim(store)?.command, claim(store)?.command, claim(store)?.command], ['b', 'c', 'a']);
      close();
    });

    it('returns the first job for a repeated idempotency key, within and across submits', () => {
      const { store, close } = f.make();
      const r1 = store.enqueue([job('a', { key: 'k1' }), job('b', { key: 'k1' })], 1);
      assert.equal(r1.jobs[1]!.id, r1.jobs[0]!.id);
      assert.deepEqual(r1.reused, [false, true]);
      const r2 = store.enqueue([job('c', { key: 'k1' }), job('d', { key: 'k2' })], 2);
      assert.equal(r2.jobs[0]!.id, r1.jobs[0]!.id);
      assert.equal(r2.jobs[0]!.command, 'a');
      assert.equal(store.counts().byState.pending, 2);
      close();
    });

    it('pages pending jobs in dispatch order and ended ones by id, with `next` until the end', () => {
      const { store, close } = f.make();
      store.enqueue([job('n1'), job('n2'), job('u1', { queue: 'urgent' }), job('n3'), job('u2', { queue: 'urgent' })], 1);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const p = store.listPage('pending', after, 2);
        seen.push(...p.jobs.map((j) => j.command!));
        if (!p.next) break;
        after = p.next;
      }
      assert.deepEqual(seen, ['u1', 'u2', 'n1', 'n2', 'n3']);
      for (let i = 0; i < 3; i++) {
        const j = claim(store)!;
        store.finish(j.id, { ...ended, state: i === 1 ? 'failed' : 'succeeded' });
      }
      const done = store.listPage('completed', undefined, 10);
      assert.deepEqual(done.jobs.map((j) => j.command), ['n1', 'u1', 'u2']);
      assert.equal(done.next, null);
      assert.deepEqual(store.listPage('errors', undefined, 10).jobs.map((j) => j.command), ['u2']);
      assert.deepEqual(store.listPage('all', undefined, 10).jobs.length, 5);
      const p1 = store.listPage('completed', undefined, 1);
      assert.deepEqual(store.listPage('completed', p1.next!, 10).jobs.map((j) => j.command), ['u1', 'u2']);
      close();
    });

    it('pages newest first with order desc, for every filter, with `next` until the end', () => {
      const { store, close } = f.make();
      store.enqueue([job('n1'), job('u1', { queue: 'urgent' }), job('n2')], 1);
      store.enqueue([job('n3'), job('u2', { queue: 'urgent' })], 2);
      const walk = (filter: 'all' | 'pending' | 'completed', size: number) => {
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const p = store.listPage(filter, after, size, 'desc');
          seen.push(...p.jobs.map((j) => j.command!));
          if (!p.next) return seen;
          after = p.next;
        }
      };
      assert.deepEqual(walk('all', 2), ['u2', 'n3', 'n2', 'u1', 'n1']);
      assert.deepEqual(walk('pending', 2), ['u2', 'n3', 'n2', 'u1', 'n1'], 'newest submitted first, not dispatch order');
      for (let i = 0; i < 3; i++) store.finish(claim(store)!.id, { ...ended, state: 'succeeded' }); // u1, u2, n1
      assert.deepEqual(walk('completed', 1), ['u2', 'u1', 'n1']);
      assert.deepEqual(walk('pending', 5), ['n3', 'n2']);
      assert.deepEqual(store.listPage('all', undefined, 10).jobs.map((j) => j.command), ['n1', 'u1', 'n2', 'n3', 'u2'], 'asc stays the default');
      close();
    });

    it('resolves a full id, a prefix in any case and the short id; counts what a prefix names', () => {
      const { store, close } = f.make();
      const { jobs } = store.enqueue([job('a'), job('b'), job('c')], 7);
      const [a, b, c] = jobs as [NonNullable<(typeof jobs)[0]>, NonNullable<(typeof jobs)[0]>, NonNullable<(typeof jobs)[0]>];
      const one = (ref: string) => {
        const m = store.resolveId(ref, 5);
        return m.count === 1 ? m.jobs[0]!.command : `${m.count} matches`;
      };
      assert.equal(one(b.id), 'b');
      assert.equal(one(b.id.toLowerCase()), 'b');
      assert.equal(one(c.id.slice(0, -1) + c.id.slice(-1).toLowerCase()), 'c');
      assert.equal(one(a.id.slice(-SHORT_ID_LENGTH)), 'a', 'the short id the dashboard shows');
      assert.equal(one(a.id.slice(-SHORT_ID_LENGTH).toLowerCase()), 'a');
      assert.equal(one(a.id.slice(-SHORT_ID_LENGTH + 1)), '0 matches', 'only the short id: another ending names nothing');
      assert.equal(one('0X1'), '0 matches');
      const prefix = a.id.slice(0, 10); // the time part the three share
      const all = store.resolveId(prefix.toLowerCase(), 2);
      assert.equal(all.count, 3);
      assert.deepEqual(all.jobs.map((j) => j.command), ['c', 'b'], 'the first `show`, newest first');
      // A prefix naming more than the cap is counted up to it, not further.
      store.enqueue(Array.from({ length: MATCH_COUNT_CAP + 5 }, (_, i) => job(`echo ${i}`)), 7);
      const many = store.resolveId(prefix, 3);
      assert.equal(many.count, MATCH_COUNT_CAP);
      assert.deepEqual(many.jobs.map((j) => j.command), [`echo ${MATCH_COUNT_CAP + 4}`, `echo ${MATCH_COUNT_CAP + 3}`, `echo ${MATCH_COUNT_CAP + 2}`]);
      assert.equal(store.resolveId(store.listPage('all', undefined, 1, 'desc').jobs[0]!.id, 3).count, 1, 'a full id names only its job');
      close();
    });

    it('purges exactly what it names and never a running job', () => {
      const { store, close } = f.make();
      store.enqueue([job('r'), job('done'), job('p1'), job('p2', { queue: 'urgent' })], 1);
      // claim order: p2 (urgent), r, done
      const p2 = claim(store)!;
      store.finish(p2.id, { ...ended, state: 'succeeded' });
      const running = claim(store)!;
      const done = claim(store)!;
      store.finish(done.id, { ...ended, state: 'failed' });
      store.enqueue([job('p3')], 2);
      assert.equal(store.purge('completed').removed, 2);
      assert.deepEqual(store.listPage('all', undefined, 10).jobs.map((j) => j.command).sort(), ['p1', 'p3', 'r']);
      assert.equal(store.purge('pending').removed, 2);
      assert.deepEqual(store.listPage('all', undefined, 10).jobs.map((j) => j.command), ['r']);
      store.enqueue([job('p4')], 3);
      store.finish(running.id, { ...ended, state: 'succeeded' });
      const again = store.enqueue([job('p5')], 4).jobs[0]!;
      const r2 = claim(store)!; // p4 runs
      const res = store.purge('all');
      assert.equal(res.removed, 2, 'the ended r and the pending p5');
      assert.deepEqual(store.listPage('all', undefined, 10).jobs.map((j) => j.id), [r2.id]);
      assert.equal(store.get(again.id), undefined);
      const c = store.counts();
      assert.equal(c.byState.running, 1);
      assert.equal(c.byState.pending + c.byState.succeeded + c.byState.failed, 0);
      close();
    });

    it('keeps jobs, their order, counts and settings when reopened', () => {
      const { store, reopen, close } = f.make();
      store.enqueue([job('a'), job('b'), job('u', { queue: 'urgent' })], 1);
      const running = claim(store)!;
      store.markStarted(running.id, { pid: 4242, pgid: 4242, procStart: 77 });
      store.setSetting('concurrency', '7');
      const s2 = reopen();
      assert.equal(s2.getSetting('concurrency'), '7');
      assert.equal(s2.getSetting('nothing'), undefined);
      const r = s2.running();
      assert.equal(r.length, 1);
      assert.deepEqual([r[0]!.pid, r[0]!.pgid, r[0]!.procStart], [4242, 4242, 77]);
      assert.equal(s2.counts().byState.pending, 2);
      const n = s2.enqueue([job('c')], 2);
      assert.equal(n.jobs.length, 1);
      assert.deepEqual([claim(s2)?.command, claim(s2)?.command, claim(s2)?.command], ['a', 'b', 'c']);
      close();
    });
  });
}
