// The broker's public face: the daemon wires createBroker; the routes and the console use the
// types; bl-launcher (issue 5) will reuse runJob to run jobs the same way on other hosts.
export { Broker, createBroker, type BrokerOptions } from './broker.js';
export { runJob, JobRun, type JobSpec, type RunOptions } from './job-process.js';
// What a launcher calls to run any claimed job: a command (runJob) or an http job (issue 5).
export { startRun, HttpJobRun, type Run, type RunnableJob } from './start-run.js';
export { runHttpJob, type HttpVerdict } from './http-job.js';
export { UsageSampler } from './usage-sampler.js';
export { SqliteStore } from './sqlite-store.js';
export type { JobStore } from './store.js';
export type { JobRecord, NewJob, Queue, RunResult } from './types.js';
