// One look at a host: tasks, broker counts, running and pending jobs. The status line and
// `watch` poll it; a part the daemon lacks (or fails) is left out, not fatal.
import type { BrokerJson, JobJson, JobPageJson, TasksJson } from '../contract/types.js';
import { UnreachableError, type Client } from './client.js';
import { text, type Block } from './result.js';
import { JOB_HEADERS, jobRow } from './commands/shared.js';
import { TASK_HEADERS, taskRow } from './commands/status.js';

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
    withJobs ? client.json<JobPageJson>('GET', '/jobs?state=running&limit=20') : Promise.resolve(undefined),
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

export function snapshotBlocks(s: Snapshot): Block[] {
  if (!s.connected) return [text(`ERROR: ${s.error}`, 'bad')];
  const out: Block[] = [];
  if (s.tasks) out.push(s.tasks.length ? { kind: 'table', headers: TASK_HEADERS, rows: s.tasks.map((t) => taskRow(t)) } : text('No active tasks', 'dim'));
  if (s.broker) {
    const b = s.broker;
    out.push(text(`Jobs: ${b.running} running, ${b.pending} pending · concurrency ${b.concurrency}${b.urgent_bypass ? ' · urgent bypass' : ''}`, 'accent'));
  }
  const jobs = [...(s.running ?? []), ...(s.pending ?? [])];
  if (jobs.length) out.push({ kind: 'table', headers: JOB_HEADERS, rows: jobs.map((j) => jobRow(j, s.at)) });
  return out;
}
