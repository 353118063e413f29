// Small helpers for broker tests against a real daemon.
import type { JobJson } from '../../contract/types.js';
import type { Client } from './client.js';
import { waitFor } from './wait.js';

export async function submit(d: Client, jobs: Record<string, unknown> | Record<string, unknown>[]): Promise<JobJson[]> {
  const r = await d.api('POST', '/jobs', jobs);
  return Array.isArray(jobs) ? r.jobs : [r];
}

export async function job(d: Client, id: string): Promise<JobJson> {
  return d.api('GET', `/jobs/${id}`);
}

/** Polls the job until `pred` holds; `what` completes "job ID …" in the timeout message. */
export function waitJob(d: Client, id: string, what: string, pred: (j: JobJson) => boolean, timeout = 20000, interval = 50): Promise<JobJson> {
  return waitFor(`job ${id} ${what}`, async () => {
    const j = await job(d, id);
    return pred(j) ? j : undefined;
  }, { timeout, interval });
}

export function waitState(d: Client, id: string, states: string | string[], timeout = 15000): Promise<JobJson> {
  const want = Array.isArray(states) ? states : [states];
  return waitJob(d, id, `to be ${want.join(' or ')}`, (j) => want.includes(j.state), timeout, 25);
}

/** Waits until the daemon lists these launchers as connected. */
export async function waitLaunchers(d: Client, names: string[], timeout = 20000): Promise<void> {
  await waitFor(`launchers ${names.join(', ')} to be listed`, async () => {
    const b = await d.api('GET', '/broker');
    const have = new Set((b.launchers as { name: string }[]).map((l) => l.name));
    return names.every((n) => have.has(n)) || undefined;
  }, { timeout });
}

/** Every job of a state filter, following `next`. */
export async function allJobs(d: Client, state: string): Promise<JobJson[]> {
  const out: JobJson[] = [];
  let after = '';
  for (;;) {
    const p = await d.api('GET', `/jobs?state=${state}&limit=1000${after ? `&after=${after}` : ''}`);
    out.push(...p.jobs);
    if (!p.next) return out;
    after = p.next;
  }
}

/** Waits until nothing is pending or running. */
export function waitIdle(d: Client, o: { timeout: number; interval: number }): Promise<unknown> {
  return waitFor('the broker to be idle', async () => {
    const b = await d.api('GET', '/broker');
    return b.pending === 0 && b.running === 0;
  }, o);
}
