// Stopping a worker or a job held in a cgroup: SIGTERM to every process in it, wait up to the
// grace period for it to empty, then kill what is left at once (cgroup.kill; where that file
// is missing, freeze the group so nothing forks, SIGKILL each pid, thaw). Membership decides:
// a process that left the session or process group is in the cgroup all the same, and no
// process outside it is touched. Never throws.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StopResult } from '../stop-tree.js';
import type { Group } from './group.js';

export interface GroupStopOptions {
  grace: number;
  signal?: NodeJS.Signals;
  hasKill: boolean;
  interval?: number;
  /** Aborted: the rest of the grace period is skipped. */
  abort?: AbortSignal;
}

const KILL_WAIT_MS = 5000;

/** The pids in a group now (empty when it is gone). */
export function members(g: Group): number[] {
  try {
    return readFileSync(path.join(g.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // gone meanwhile
    }
  }
}

/** SIGKILL to everything in the group, now. */
export function killGroup(g: Group, hasKill: boolean): void {
  if (hasKill) {
    try {
      writeFileSync(path.join(g.dir, 'cgroup.kill'), '1');
      return;
    } catch {
      // removed meanwhile, or refused: kill by pid below
    }
  }
  const freeze = path.join(g.dir, 'cgroup.freeze');
  let frozen = false;
  try {
    writeFileSync(freeze, '1');
    frozen = true;
  } catch {
    // no freezer here: kill by pid, racing forks, and look again after
  }
  signalAll(members(g), 'SIGKILL');
  if (frozen) {
    try {
      writeFileSync(freeze, '0');
    } catch {
      // the group went with its processes
    }
  }
}

const sleep = (ms: number, abort?: AbortSignal) =>
  new Promise<void>((r) => {
    const done = () => {
      clearTimeout(t);
      abort?.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, ms);
    abort?.addEventListener('abort', done, { once: true });
  });

/** Resolves when the group is empty (or 5 s after the kill at the latest). */
export async function stopGroup(g: Group, o: GroupStopOptions): Promise<StopResult> {
  const start = Date.now();
  const { grace, signal = 'SIGTERM', interval = 10, abort } = o;
  let pids = members(g);
  if (pids.length === 0) return { forced: false, took: 0 };
  if (signal === 'SIGKILL') killGroup(g, o.hasKill);
  else {
    signalAll(pids, signal);
    // A stopped (SIGSTOP) process does not act on SIGTERM until continued.
    signalAll(pids, 'SIGCONT');
  }
  const deadline = start + grace;
  while ((pids = members(g)).length > 0) {
    if (signal === 'SIGKILL' || Date.now() >= deadline || abort?.aborted) {
      killGroup(g, o.hasKill);
      const killAt = Date.now();
      while (members(g).length > 0 && Date.now() - killAt < KILL_WAIT_MS) {
        await sleep(interval);
        killGroup(g, o.hasKill);
      }
      return { forced: true, took: Date.now() - start };
    }
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())), abort);
  }
  return { forced: false, took: Date.now() - start };
}
