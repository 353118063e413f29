// One look at a host: tasks, broker counts, running and pending jobs. The status line and
// `watch` poll it; a part the daemon lacks (or fails) is left out, not fatal.
import type { BrokerJson, JobJson, JobPageJson, TasksJson } from '../contract/types.js';
import { UnreachableError, type Client } from './client.js';
import { newestJobs } from './newest-jobs.js';
import { text, type Block } from './result.js';
import { allocationCount } from './allocation-table.js';
import { jobTable } from './job-table.js';
import { taskTable } from './task-table.js';

export interface Snapshot {
  connected: boolean;
  /** Why not connected (the address tried and the reason). */
  error?: string;
  tasks?: TasksJson['tasks'];
  broker?: BrokerJson;
  running?: JobJson[];
  pending?: JobJson[];
  at: number;
}

export async function fetchSnapshot(client: Client, withJobs: boolean): Promise<Snapshot> {
  const parts = await Promise.allSettled([
    client.json<TasksJson>('GET', '/tasks'),
    client.json<BrokerJson>('GET', '/broker'),
    // The newest running jobs first, as `jobs` lists them; pending ones in the order they start.
    withJobs ? newestJobs(client, 'running', 20) : Promise.resolve(undefined),
    withJobs ? client.json<JobPageJson>('GET', '/jobs?state=pending&limit=20') : Promise.resolve(undefined),
  ]);
  const unreachable = parts.find((p) => p.status === 'rejected' && p.reason instanceof UnreachableError);
  if (unreachable) return { connected: false, error: ((unreachable as PromiseRejectedResult).reason as Error).message, at: Date.now() };
  const ok = <T>(p: PromiseSettledResult<T>): T | undefined => (p.status === 'fulfilled' ? p.value : undefined);
  return {
    connected: true,
    tasks: ok(parts[0])?.tasks,
    broker: ok(parts[1]),
    running: ok(parts[2])?.jobs,
    pending: ok(parts[3])?.jobs,
    at: Date.now(),
  };
}

/** `now`: the clock the relative times are shown against (`watch` ticks it between looks). */
export function snapshotBlocks(s: Snapshot, now = s.at): Block[] {
  if (!s.connected) return [text(`ERROR: ${s.error}`, 'bad')];
  const out: Block[] = [];
  if (s.tasks) out.push(s.tasks.length ? taskTable(s.tasks, now) : text('No active tasks', 'dim'));
  if (s.broker) {
    const b = s.broker;
    const allocations = b.allocations ? ` · ${allocationCount(b.allocations)}` : '';
    const waiting = b.waiting ? `, ${b.waiting} waiting` : '';
    out.push(text(`Jobs: ${b.running} running, ${b.pending} pending${waiting} · concurrency ${b.concurrency}${b.urgent_bypass ? ' · urgent bypass' : ''}${allocations}`, 'accent'));
  }
  const jobs = [...(s.running ?? []), ...(s.pending ?? [])];
  if (jobs.length) out.push(jobTable(jobs, now));
  return out;
}
