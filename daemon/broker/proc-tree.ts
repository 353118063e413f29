// A job's process tree from /proc: its group, the descendants of its leader (also those that
// moved to a group of their own) and anything carrying its BL_JOB_ID marker (a daemonised
// grandchild that lost its parent). Read directly: cheaper than ps-list, and synchronous.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  /** Clock ticks since boot; with the pid it names one process for good. */
  startTime: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  rssPages: number;
}

export const CLOCK_TICKS = 100; // _SC_CLK_TCK on every Linux build we run on
export const PAGE_SIZE = 4096;

export function parseStat(pid: number, text: string): ProcStat {
  // The command name may hold spaces and ')': the fields start after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: f[0]!,
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTime: Number(f[19]),
    rssPages: Number(f[21]),
  };
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

const live = (s: ProcStat | undefined): s is ProcStat => !!s && s.state !== 'Z' && s.state !== 'X';

/** Live processes (zombies left out). */
export function scanStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const d of readdirSync('/proc')) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const s = readStat(Number(d));
    if (live(s)) out.push(s);
  }
  return out;
}

/** Is `pid` still the process that started at `startTime` (not a recycled pid)? */
export function sameProcess(pid: number, startTime: number | null): boolean {
  const s = readStat(pid);
  return live(s) && (startTime === null || s.startTime === startTime);
}

export const JOB_MARKER = 'BL_JOB_ID';

function pidsWithMarker(value: string, among: ProcStat[]): Set<number> {
  const needle = `${JOB_MARKER}=${value}\0`;
  const out = new Set<number>();
  for (const s of among) {
    try {
      const env = readFileSync(`/proc/${s.pid}/environ`, 'latin1') + '\0';
      if (env.startsWith(needle) || env.includes('\0' + needle)) out.add(s.pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

export interface TreeRoot {
  pid: number;
  pgid: number;
  /** When set, processes carrying BL_JOB_ID=<marker> count too (costs a read of every environ). */
  marker?: string;
}

/** Live processes of a job's tree, from one scan. */
export function treeOf(root: TreeRoot, stats: ProcStat[] = scanStats()): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const s of stats) {
    let l = byParent.get(s.ppid);
    if (!l) byParent.set(s.ppid, (l = []));
    l.push(s);
  }
  const seen = new Map<number, ProcStat>();
  const add = (s: ProcStat) => {
    if (seen.has(s.pid)) return;
    seen.set(s.pid, s);
    for (const c of byParent.get(s.pid) ?? []) add(c);
  };
  for (const s of stats) if (s.pid === root.pid || s.pgid === root.pgid) add(s);
  if (root.marker !== undefined) {
    const marked = pidsWithMarker(root.marker, stats);
    for (const s of stats) if (marked.has(s.pid)) add(s);
  }
  return [...seen.values()];
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Signals the group and every other live member of the tree. Returns how many were found. */
export function signalTree(root: TreeRoot, sig: NodeJS.Signals): number {
  // Never our own group (or "every process" for 0/1): a job always has a group of its own.
  if (root.pgid > 1 && root.pgid !== process.pid) signal(-root.pgid, sig);
  const tree = treeOf(root);
  for (const s of tree) if (s.pgid !== root.pgid) signal(s.pid, sig);
  return tree.length;
}
