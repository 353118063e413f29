// JobStore's verbs through promises: the shape of PgStore (the SQL, across the network), and of
// the embedded store seen the same way, so one contract suite runs against both. The broker
// itself drives the synchronous JobStore (PgSyncStore serves it from PgStore).
import type { JobStore } from './store.js';

export type AsyncJobStore = {
  [K in Exclude<keyof JobStore, 'atomically' | 'shared' | 'holdLease'>]: JobStore[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<R> : never;
} & {
  /** Runs `fn` as one transaction: the verbs it awaits join it; all of its writes or none. */
  atomically<T>(fn: () => Promise<T>): Promise<T>;
};

/**
 * The embedded store as an AsyncJobStore. Its verbs run at once (SQLite is in-process); a
 * transaction holds across `fn`'s awaits only while nothing else runs between them, so `fn`
 * must await only this store's verbs.
 */
export function asyncStore(s: JobStore): AsyncJobStore {
  const wrap = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): Promise<R> => {
    try {
      return Promise.resolve(f.apply(s, a));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return {
    enqueue: wrap(s.enqueue),
    claimNext: wrap(s.claimNext),
    markStarted: wrap(s.markStarted),
    finish: wrap(s.finish),
    requeue: wrap(s.requeue),
    cancelPending: wrap(s.cancelPending),
    get: wrap(s.get),
    getByKey: wrap(s.getByKey),
    findSweep: wrap(s.findSweep),
    takeSettled: wrap(s.takeSettled),
    resolveId: wrap(s.resolveId),
    listPage: wrap(s.listPage),
    running: wrap(s.running),
    counts: wrap(s.counts),
    purge: wrap(s.purge),
    succeededSweeps: wrap(s.succeededSweeps),
    getSetting: wrap(s.getSetting),
    setSetting: wrap(s.setSetting),
    addNote: wrap(s.addNote),
    notes: wrap(s.notes),
    requestCancel: wrap(s.requestCancel),
    cancelRequests: wrap(s.cancelRequests),
    // Not a real transaction across awaits: SQLite's cannot span the event loop. Callers that
    // need one on the embedded store use JobStore.atomically with synchronous verbs.
    atomically: (fn) => fn(),
  };
}
