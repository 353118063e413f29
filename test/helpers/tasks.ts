// Reading a task's workers from a test: through the API, and as real processes.
import type { Client } from './client.js';
import { pidsWithEnv } from './proc.js';
import { waitFor } from './wait.js';

export async function workerPids(d: Client, task: string): Promise<number[]> {
  const r = await d.api('GET', `/tasks/${encodeURIComponent(task)}/list`);
  return (r.workers as { pid: number; state: string }[]).filter((w) => w.state === 'running').map((w) => w.pid);
}

/** Waits until the task has exactly `n` running workers; returns their pids. */
export function waitForWorkers(d: Client, task: string, n: number): Promise<number[]> {
  return waitFor(`${n} running worker(s) of ${task}`, async () => {
    const p = await workerPids(d, task);
    return p.length === n ? p : undefined;
  });
}

/** Waits until `victim` is replaced: `n` running workers, `victim` not among them; returns their pids. */
export function waitForReplacement(d: Client, task: string, victim: number, n: number): Promise<number[]> {
  return waitFor(`a replacement for worker ${victim} of ${task}`, async () => {
    const p = await workerPids(d, task);
    return p.length === n && !p.includes(victim) ? p : undefined;
  });
}

export async function taskJson(d: Client, task: string): Promise<any> {
  return d.api('GET', `/tasks/${encodeURIComponent(task)}`);
}

/**
 * Waits until the task lists `n` workers whatever their state; returns the task's JSON. A
 * process is gone from /proc a moment before the daemon has reaped it and counted its exit:
 * counters are read after this.
 */
export function waitForListed(d: Client, task: string, n: number): Promise<any> {
  return waitFor(`${task} to list ${n} worker(s), every exit counted`, async () => {
    const t = await taskJson(d, task);
    return t.workers.length === n ? t : undefined;
  });
}

/** Every live process started for the task, wherever it went (workers and their children). */
export function taskProcesses(task: string): number[] {
  return pidsWithEnv('BL_TASK', task);
}

export async function waitForProcessCount(task: string, n: number | ((count: number) => boolean), timeout = 10000): Promise<number[]> {
  const ok = typeof n === 'number' ? (c: number) => c === n : n;
  let last: number[] = [];
  try {
    return await waitFor(`processes of ${task}`, () => {
      last = taskProcesses(task);
      return ok(last.length) ? last : undefined;
    }, { timeout });
  } catch (e) {
    throw new Error(`${(e as Error).message}; last seen ${last.length}: ${JSON.stringify(last)}`);
  }
}
