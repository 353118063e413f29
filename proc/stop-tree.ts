// Stopping a process and everything it started — a worker of the supervisor or a job of the
// broker alike: SIGTERM to its group and to its processes outside the group, wait up to the
// grace period, then SIGKILL. The result says whether the kill was forced and how long it
// took (execa's way of reporting a stop). Never throws: callers fire and forget.
import { allStats, descendantsOf, groupExists, groupIdentity, isLive, isSameGroup, pidsWithMarker, readStat, sameProcess } from './stat.js';

export interface StopResult {
  forced: boolean;
  /** ms from SIGTERM until no process of the group (or its escaped descendants) was left. */
  took: number;
}

export interface StopOptions {
  pid: number;
  pgid?: number;
  grace: number;
  signal?: NodeJS.Signals;
  /** The leader's start time, if known (guards against a reused group id). */
  leaderStart?: number | null;
  /** An environment variable every process of the tree carries (`BL_PROCESS_ID=…`, `BL_JOB_ID=…`). */
  marker?: { name: string; value: string };
  /** Pids seen earlier in the tree, with their start times (the broker's usage samples). */
  known?: ReadonlyMap<number, number>;
  /** Polling interval while waiting for the tree to empty. */
  interval?: number;
  /** Aborted (a second CTRL+C): the rest of the grace period is skipped. */
  abort?: AbortSignal;
}

const KILL_WAIT_MS = 5000;

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is already gone
  }
}

/** Whether the signal went out (false: the process is gone already, or not ours). */
export function signalPid(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

type Proc = { pid: number; startTime: number };

/**
 * Processes of the tree outside its group: they would escape a group signal. Found by
 * parentage while the leader lives, by the environment marker after it died, and among the
 * pids seen earlier.
 */
function escapees(o: StopOptions, pgid: number): Proc[] {
  const found = new Map<number, number>();
  // One snapshot of /proc serves a whole burst of stops (a scale-down of 1000 read /proc
  // 1000 times, blocking the daemon for half a minute).
  for (const s of descendantsOf(o.pid, allStats())) if (s.pgid !== pgid) found.set(s.pid, s.startTime);
  if (o.marker) {
    for (const p of pidsWithMarker(o.marker.name, o.marker.value)) {
      const s = readStat(p);
      if (isLive(s) && s.pgid !== pgid && p !== process.pid) found.set(p, s.startTime);
    }
  }
  for (const [p, start] of o.known ?? []) {
    const s = readStat(p);
    if (isLive(s) && s.pgid !== pgid && s.startTime === start) found.set(p, start);
  }
  return [...found].map(([pid, startTime]) => ({ pid, startTime }));
}

const stillThere = (p: Proc) => sameProcess(p.pid, p.startTime);

function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const done = () => {
      clearTimeout(t);
      abort?.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, ms);
    abort?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when nothing of the tree is left (or 5 s after the SIGKILL at the latest). */
export async function stopTree(o: StopOptions): Promise<StopResult> {
  const start = Date.now();
  try {
    return await stop(o, start);
  } catch (e) {
    // An unreadable /proc must not become an unhandled rejection; the group got what was sent.
    console.error(`bl-daemon: stopping the process tree of ${o.pid} failed: ${(e as Error).message}`);
    return { forced: false, took: Date.now() - start };
  }
}

async function stop(o: StopOptions, start: number): Promise<StopResult> {
  const { pid, pgid = pid, grace, signal = 'SIGTERM', interval = 10, abort } = o;
  const group = groupIdentity(pgid, o.leaderStart ?? o.known?.get(pid));
  const ours = () => isSameGroup(group);
  const escaped = escapees(o, pgid);
  const left = () => (ours() && groupExists(pgid)) || escaped.some(stillThere);
  const signalOurGroup = (sig: NodeJS.Signals) => {
    if (ours()) signalGroup(pgid, sig);
  };
  signalOurGroup(signal);
  for (const p of escaped) signalPid(p.pid, signal);
  // A stopped (SIGSTOP) process does not act on SIGTERM until continued.
  signalOurGroup('SIGCONT');
  const deadline = start + grace;
  while (left()) {
    if (Date.now() >= deadline || abort?.aborted) {
      signalOurGroup('SIGKILL');
      for (const p of escaped) if (stillThere(p)) signalPid(p.pid, 'SIGKILL');
      // Processes started during the grace period are found again before the last kill.
      for (const p of escapees(o, pgid)) signalPid(p.pid, 'SIGKILL');
      const killAt = Date.now();
      while (left() && Date.now() - killAt < KILL_WAIT_MS) {
        await sleep(interval);
        signalOurGroup('SIGKILL');
      }
      return { forced: true, took: Date.now() - start };
    }
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())), abort);
  }
  return { forced: false, took: Date.now() - start };
}
