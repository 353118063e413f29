// Small helpers for broker tests against a daemon (in this process or another): submitting,
// polling jobs, and marks that let a test hold a job running until it says go.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobJson } from '../../contract/types.js';
import type { Client } from './client.js';
import { alive } from './proc.js';
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

/** Those of `ids` that have a live process (by its BL_JOB_ID), in one scan of /proc. */
export function jobsWithProcesses(ids: Iterable<string>): Set<string> {
  const want = new Set(ids);
  const found = new Set<string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${d}/environ`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    const id = /(?:^|\0)BL_JOB_ID=([^\0]*)/.exec(env)?.[1];
    if (id !== undefined && want.has(id) && alive(Number(d))) found.add(id);
  }
  return found;
}

/**
 * Empty files in a directory, named by the test: a job says where it got to by making one
 * (`made`), and waits for one the test makes (`awaited`, `make`). A job that must stay running
 * while the test acts waits for a mark instead of sleeping a guessed time. Names go into shell
 * commands unquoted: keep them to letters, digits, `-`, `_` and `$VARIABLE`s.
 */
export class Marks {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  /** Shell: make the mark `name`. */
  made(name: string): string {
    return `: > ${this.path(name)}`;
  }

  /** Shell: wait until the mark `name` exists. */
  awaited(name: string): string {
    return `while [ ! -e ${this.path(name)} ]; do sleep 0.02; done`;
  }

  make(name: string): void {
    writeFileSync(this.path(name), '');
  }

  has(name: string): boolean {
    return existsSync(this.path(name));
  }

  /** Waits until a job has made the mark `name`. */
  waitMade(name: string, timeout = 15000): Promise<true> {
    return waitFor(`the mark ${name}`, () => this.has(name), { timeout });
  }
}
