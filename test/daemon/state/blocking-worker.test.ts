// A call waited for in place (Atomics.wait) into a worker thread: answers come back, and a
// worker that dies outside any call ends the waiting call with why, instead of leaving it to
// its time limit (the waiting thread cannot hear the exit event while it waits).
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { BlockingWorker, WorkerDiedError } from '../../../daemon/state/pg/blocking-worker.js';

const module = new URL(`./dying-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
// Far longer than any test runs: only the death report can end the waiting call.
const w = new BlockingWorker({ module, workerData: {}, timeoutMs: 3_600_000, onEvent: () => {} });
after(() => w.close());

it('answers in place, and a death outside any call ends the call waiting on it, saying why', async () => {
  assert.equal(await w.callAsync('echo', ['first']), 'first', 'the worker started');
  assert.equal(w.call('echo', ['hello']), 'hello');
  assert.throws(() => w.call('die'), (e: unknown) => e instanceof WorkerDiedError && /worker thread failed: the connection said goodbye/.test(e.message));
  assert.ok(w.dead, 'it is known dead');
  assert.throws(() => w.call('echo', ['again']), WorkerDiedError, 'every later call says so at once');
});
