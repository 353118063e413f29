// A worker thread for blocking-worker.test.ts: answers 'echo' with its argument; on 'die' it
// answers nothing and fails outside any call (an error event nobody listens to), as a pg
// connection's farewell did in the store's worker.
import { EventEmitter } from 'node:events';
import { workerData, type MessagePort } from 'node:worker_threads';
import { reportDeath, type Request } from '../../../daemon/state/pg/blocking-worker.js';

const d = workerData as { calls: MessagePort; flag: Int32Array };
reportDeath(d.calls, d.flag);
d.calls.on('message', (r: Request) => {
  if (r.op === 'die') {
    setImmediate(() => new EventEmitter().emit('error', new Error('the connection said goodbye')));
    return;
  }
  d.calls.postMessage({ id: r.id, value: r.args[0] });
  Atomics.store(d.flag, 0, 1);
  Atomics.notify(d.flag, 0);
});
