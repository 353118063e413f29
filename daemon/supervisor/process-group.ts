// Stopping a process and everything it started: SIGTERM to its group (and to descendants
// that moved to a group of their own), wait up to the grace period, then SIGKILL. The
// result says whether the kill was forced (execa's way of reporting a stop).
import { allStats, descendantsOf, groupExists, groupIdentity, isSameGroup, pidsWithMarker, readStat } from '../proc/stat.js';

export interface StopResult {
  forced: boolean;
  /** ms from SIGTERM until no process of the group (or its escaped descendants) was left. */
  took: number;
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is already gone
  }
}

function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** The environment variable that marks every process of one worker or job (see proc.ts). */
export const MARKER_VAR = 'BL_PROCESS_ID';

/**
 * Processes of the tree outside its group: they would escape a group signal. Found by
 * parentage while the leader lives, and by the environment marker after it died.
 */
function escapedDescendants(pid: number, pgid: number, marker?: string): { pid: number; startTime: number }[] {
  const found = new Map<number, number>();
  // One snapshot of /proc serves a whole burst of stops (a scale-down of 1000 read /proc
  // 1000 times, blocking the daemon for half a minute).
  for (const s of descendantsOf(pid, allStats())) if (s.pgid !== pgid) found.set(s.pid, s.startTime);
  if (marker) {
    for (const p of pidsWithMarker(MARKER_VAR, marker)) {
      const s = readStat(p);
      if (s && s.pgid !== pgid && s.state !== 'Z' && p !== process.pid) found.set(p, s.startTime);
    }
  }
  return [...found].map(([p, startTime]) => ({ pid: p, startTime }));
}

function sameProcess(p: { pid: number; startTime: number }): boolean {
  const s = readStat(p.pid);
  return !!s && s.startTime === p.startTime && s.state !== 'Z';
}

export interface TerminateOptions {
  pid: number;
  pgid?: number;
  grace: number;
  signal?: NodeJS.Signals;
  /** The leader's start time, if known from its spawn (guards against a reused group id). */
  leaderStart?: number;
  /** The value of MARKER_VAR in the tree's environment, if it was given one. */
  marker?: string;
  /** Polling interval while waiting for the group to empty. */
  interval?: number;
  abort?: AbortSignal;
}

/**
 * Terminates a process group and its escaped descendants. Resolves when nothing is left.
 * An abort (e.g. a second CTRL+C) skips the rest of the grace period and kills at once.
 */
export async function terminateTree({ pid, pgid = pid, grace, signal = 'SIGTERM', interval = 10, abort, marker, leaderStart }: TerminateOptions): Promise<StopResult> {
  const start = Date.now();
  const group = groupIdentity(pgid, leaderStart);
  const ours = () => isSameGroup(group);
  const escaped = escapedDescendants(pid, pgid, marker);
  const left = () => (ours() && groupExists(pgid)) || escaped.some(sameProcess);
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
      for (const p of escaped) if (sameProcess(p)) signalPid(p.pid, 'SIGKILL');
      // Descendants spawned during the grace period are found again before the last kill.
      for (const p of escapedDescendants(pid, pgid, marker)) signalPid(p.pid, 'SIGKILL');
      const killAt = Date.now();
      while (left() && Date.now() - killAt < 5000) await sleep(interval);
      return { forced: true, took: Date.now() - start };
    }
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())));
  }
  return { forced: false, took: Date.now() - start };
}

export function killTreeNow(pid: number, pgid = pid, marker?: string, leaderStart?: number): void {
  const escaped = escapedDescendants(pid, pgid, marker);
  if (isSameGroup(groupIdentity(pgid, leaderStart))) signalGroup(pgid, 'SIGKILL');
  for (const p of escaped) signalPid(p.pid, 'SIGKILL');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
