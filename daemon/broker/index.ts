// The broker's public face: the daemon wires createBroker; the routes and the console use the
// types; bl-launcher (issue 5) will reuse runJob to run jobs the same way on other hosts.
export { Broker, createBroker, type BrokerOptions } from './broker.js';
export { runJob, JobRun, type JobSpec, type RunOptions } from './job-process.js';
export { UsageSampler } from './usage-sampler.js';
export { SqliteStore } from './sqlite-store.js';
export type { JobStore } from './store.js';
export type { JobRecord, NewJob, Queue, RunResult } from './types.js';
