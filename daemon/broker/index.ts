// The broker's public face: the daemon wires createBroker; the routes use Broker's verbs.
export { Broker, createBroker, type BrokerOptions } from './broker.js';
export type { JobStore } from './store/store.js';
export type { JobRecord, NewJob, Queue } from './types.js';
