// The store contract's part for `after` (dependencies.ts): waiting jobs, their release or
// cancel in the transaction of the end they waited on, sweeps as dependencies, durability.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FinishFields, JobStore } from '../../../../daemon/broker/store/store.js';
import type { NewJob } from '../../../../daemon/broker/types.js';

interface StoreFactory {
  /** A fresh, empty store. */
  make(): { store: JobStore; reopen: () => JobStore; close: () => void };
}

function job(command: string, over: Partial<NewJob> = {}): NewJob {
  return { command, argv: null, cwd: '/', env: {}, queue: 'normal', timeout: null, idleCpu: null, retries: 0, key: null, labels: {}, ...over };
}
const claim = (s: JobStore) => s.claimNext({ urgentOnly: false, launcher: 'local', host: 'h', now: 1 });
const end = (state: FinishFields['state']): FinishFields => ({ state, exitCode: state === 'succeeded' ? 0 : 1, signal: null, usage: null, reason: null, now: 2 });
/** Claims the job with this id (it must be the head) and ends it so. */
function run(s: JobStore, id: string, state: FinishFields['state']): void {
  assert.equal(claim(s)?.id, id, `${id} is the next to run`);
  assert.ok(s.finish(id, end(state)));
}
const settledText = (s: JobStore) => s.takeSettled().map((x) => `${x.job.command}:${x.released ? 'released' : x.job.state}`);

export function dependencyContract(name: string, f: StoreFactory): void {
  describe(`JobStore contract, after: ${name}`, () => {
    it('a chain waits, is not claimable, and runs link by link', () => {
      const { store, close } = f.make();
      const [a] = store.enqueue([job('a')], 1).jobs;
      const [b] = store.enqueue([job('b', { after: [a!.id] })], 1).jobs;
      const [c] = store.enqueue([job('c', { after: [b!.id] })], 1).jobs;
      assert.deepEqual([b!.state, c!.state], ['waiting', 'waiting']);
      assert.equal(store.counts().byState.waiting, 2);
      assert.equal(store.counts().pendingByQueue.normal, 1, 'waiting jobs are not pending');
      assert.deepEqual(store.listPage('waiting', undefined, 10).jobs.map((j) => j.command), ['b', 'c']);
      assert.equal(store.get(b!.id)?.after[0], a!.id);
      run(store, a!.id, 'succeeded');
      assert.deepEqual(settledText(store), ['b:released']);
      assert.deepEqual(settledText(store), [], 'taken once');
      assert.equal(store.get(b!.id)?.state, 'pending');
      run(store, b!.id, 'succeeded');
      run(store, c!.id, 'succeeded');
      assert.equal(claim(store), undefined);
      assert.equal(store.counts().byState.succeeded, 3);
      close();
    });

    it('an end other than success cancels the waiting job and what waits on it, naming the job', () => {
      const { store, close } = f.make();
      const [a] = store.enqueue([job('a')], 1).jobs;
      const [b] = store.enqueue([job('b', { after: [a!.id] })], 1).jobs;
      const [c] = store.enqueue([job('c', { after: [b!.id] })], 1).jobs;
      const [d] = store.enqueue([job('d', { after: [a!.id], afterAny: true })], 1).jobs;
      run(store, a!.id, 'timed_out');
      assert.deepEqual(settledText(store), ['b:cancelled', 'd:released', 'c:cancelled']);
      assert.equal(store.get(b!.id)?.reason, `waited on job ${a!.id}, which ended timed_out`);
      assert.equal(store.get(c!.id)?.reason, `waited on job ${b!.id}, which ended cancelled`);
      assert.equal(store.get(d!.id)?.state, 'pending', 'after_any: any end releases it');
      assert.deepEqual([store.counts().byState.waiting, store.counts().byState.cancelled], [0, 2]);
      close();
    });

    it('waits for every job it names; a submit after ended jobs is decided at once', () => {
      const { store, close } = f.make();
      const [a, b] = store.enqueue([job('a'), job('b')], 1).jobs;
      const [c] = store.enqueue([job('c', { after: [a!.id, b!.id] })], 1).jobs;
      run(store, a!.id, 'succeeded');
      assert.equal(store.get(c!.id)?.state, 'waiting');
      assert.deepEqual(settledText(store), []);
      const [late] = store.enqueue([job('late', { after: [a!.id] })], 3).jobs;
      assert.equal(late!.state, 'pending', 'after a job that already succeeded: pending');
      run(store, b!.id, 'failed');
      assert.equal(store.get(c!.id)?.state, 'cancelled');
      const [x, y] = store.enqueue([job('x', { after: [b!.id] }), job('y', { after: [b!.id], afterAny: true })], 4).jobs;
      assert.equal(x!.state, 'cancelled');
      assert.equal(x!.reason, `waited on job ${b!.id}, which ended failed`);
      assert.equal(store.get(x!.id)?.state, 'cancelled');
      assert.equal(y!.state, 'pending');
      close();
    });

    it('cancelling a pending or waiting job cancels what waits on it; a purge of pending takes the waiting', () => {
      const { store, close } = f.make();
      const [a] = store.enqueue([job('a')], 1).jobs;
      const [b] = store.enqueue([job('b', { after: [a!.id] })], 1).jobs;
      const [c] = store.enqueue([job('c', { after: [b!.id] })], 1).jobs;
      const cb = store.cancelPending(b!.id, 2);
      assert.equal(cb?.reason, 'cancelled while waiting');
      assert.deepEqual(settledText(store), ['c:cancelled']);
      run(store, a!.id, 'succeeded');
      assert.deepEqual(settledText(store), [], 'b is no longer waiting on a');
      assert.equal(store.get(c!.id)?.state, 'cancelled');
      const [p] = store.enqueue([job('p')], 3).jobs;
      store.enqueue([job('q', { after: [p!.id] })], 3);
      assert.equal(store.purge('pending').removed, 2);
      assert.deepEqual([store.counts().byState.waiting, store.counts().byState.pending], [0, 0]);
      close();
    });

    it('a job waits on a whole sweep; a sweep waits on a job', () => {
      const { store, close } = f.make();
      const sweep = 'sweep-01TEST';
      const [s1, s2, s3] = store.enqueue(['1', '2', '3'].map((n) => job(`s${n}`, { sweep, key: `runs/${n}` })), 1).jobs;
      assert.equal(store.findSweep(sweep), sweep);
      assert.equal(store.findSweep('runs'), sweep, 'the key the sweep was submitted with');
      assert.equal(store.findSweep('sweep-01NONE'), undefined);
      const [w] = store.enqueue([job('w', { after: [sweep] })], 1).jobs;
      const [w2] = store.enqueue([job('w2', { after: [sweep], afterAny: true })], 1).jobs;
      run(store, s1!.id, 'succeeded');
      run(store, s2!.id, 'succeeded');
      assert.equal(store.get(w!.id)?.state, 'waiting', 'one combination still runs');
      assert.deepEqual(settledText(store), []);
      run(store, s3!.id, 'succeeded');
      assert.deepEqual(settledText(store), ['w:released', 'w2:released']);
      run(store, w!.id, 'succeeded');
      run(store, w2!.id, 'succeeded');

      const other = 'sweep-01OTHER';
      const [g] = store.enqueue([job('gate')], 5).jobs;
      const combos = store.enqueue(['x', 'y'].map((n) => job(n, { sweep: other, after: [g!.id] })), 5).jobs;
      const [after] = store.enqueue([job('after-other', { after: [other] })], 5).jobs;
      assert.deepEqual(combos.map((c) => c.state), ['waiting', 'waiting']);
      assert.equal(after!.state, 'waiting');
      run(store, g!.id, 'succeeded');
      assert.deepEqual(settledText(store), ['x:released', 'y:released']);
      run(store, combos[0]!.id, 'failed');
      assert.equal(store.get(after!.id)?.reason, `waited on job ${combos[0]!.id} of sweep ${other}, which ended failed`);
      close();
    });

    it('a rolled-back end releases nothing; waiting survives a reopen', () => {
      const { store, reopen, close } = f.make();
      const [a] = store.enqueue([job('a')], 1).jobs;
      const [b] = store.enqueue([job('b', { after: [a!.id] })], 1).jobs;
      assert.equal(claim(store)?.id, a!.id);
      assert.throws(() =>
        store.atomically(() => {
          store.finish(a!.id, end('succeeded'));
          throw new Error('refused');
        }),
      );
      assert.deepEqual(settledText(store), []);
      assert.equal(store.counts().byState.waiting, 1);
      const again = reopen();
      assert.equal(again.get(b!.id)?.state, 'waiting');
      assert.equal(again.counts().byState.waiting, 1);
      assert.ok(again.finish(a!.id, end('succeeded')));
      assert.deepEqual(settledText(again), ['b:released']);
      assert.equal(claim(again)?.id, b!.id);
      close();
    });
  });
}
