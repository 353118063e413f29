// An unwritable store (full disk, read-only file, I/O error): a submit is refused with 503 and a
// message, the running job goes on, and its end is written once the store takes writes again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createBroker } from '../../../daemon/broker/broker.js';
import { SqliteStore } from '../../../daemon/broker/store/sqlite-store.js';
import type { JobStore } from '../../../daemon/broker/store/store.js';
import { BlError } from '../../../contract/errors.js';
import { EventBus } from '../../../daemon/events/bus.js';
import { openDb } from '../../../daemon/state/db.js';
import { Marks } from '../../helpers/jobs.js';
import { waitFor } from '../../helpers/wait.js';
import { job } from './store/store-contract.js';

/** Every write verb throws SQLITE_FULL while `full` is set, as better-sqlite3 would. */
function failing(inner: JobStore): { store: JobStore; setFull: (on: boolean) => void } {
  let full = false;
  const writes = new Set(['enqueue', 'claimNext', 'markStarted', 'finish', 'requeue', 'cancelPending', 'purge', 'setSetting']);
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (full && writes.has(String(prop))) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        return v.apply(target, args);
      };
    },
  });
  return { store, setFull: (on) => (full = on) };
}

describe('broker on a store that refuses writes', () => {
  it('answers 503 on submit, keeps the running job going and records its end later', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-full-'));
    const db = openDb(dir);
    const { store, setFull } = failing(new SqliteStore(db));
    const events = new EventBus();
    const settings = { concurrency: 1, urgentBypass: false, localSlots: undefined, leaseTtl: 30, defaultTimeout: 0, idleCpu: undefined, retries: 0 };
    const broker = createBroker({ store, settings, events, stateDir: dir, killGraceMs: 500 });
    broker.start();
    try {
      // The job runs until the test lets it go, once the store refuses writes.
      const marks = new Marks(path.join(dir, 'marks'));
      const [running] = broker.submit([job(`${marks.made('runs')}; ${marks.awaited('go')}; echo finished`)]).jobs;
      await marks.waitMade('runs');
      setFull(true);
      assert.throws(
        () => broker.submit([job('true')]),
        (e: unknown) => e instanceof BlError && e.status === 503 && /cannot take writes now \(SQLITE_FULL.*nothing was submitted; running jobs go on/.test(e.message),
      );
      assert.throws(() => broker.setConcurrency(4), (e: unknown) => e instanceof BlError && e.status === 503);
      marks.make('go');
      await waitFor('the job to exit', () => events.since(0).some((e) => e.topic === 'job.finished' && e.data.id === running!.id));
      assert.equal(broker.get(running!.id).state, 'running', 'its end is not written yet');
      setFull(false);
      await waitFor('the end to be written', () => broker.get(running!.id).state === 'succeeded', { timeout: 5000 });
      const [later] = broker.submit([job('true')]).jobs;
      await waitFor('dispatch to go on', () => broker.get(later!.id).state === 'succeeded');
    } finally {
      await broker.drain(1000);
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
