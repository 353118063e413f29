// The newest jobs first (what was just done is on top, as in pueue and pm2): GET /jobs with
// `order=desc`, one request.
import type { JobJson, JobPageJson } from '../contract/types.js';
import type { Client } from './client.js';

export interface Newest {
  /** Newest first. */
  jobs: JobJson[];
  /** There are older ones than these. */
  more: boolean;
}

/** The newest `n` jobs of a `state=` filter (all when undefined). */
export async function newestJobs(client: Client, state: string | undefined, n: number): Promise<Newest> {
  const q = new URLSearchParams({ order: 'desc', limit: String(n) });
  if (state) q.set('state', state);
  const page = await client.json<JobPageJson>('GET', `/jobs?${q}`);
  return { jobs: page.jobs, more: page.next !== null };
}
