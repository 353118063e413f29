// A job's process tree from /proc: its group, the descendants of its leader (also those that
// moved to a group of their own) and anything carrying its BL_JOB_ID marker (a daemonised
// grandchild that lost its parent). Read directly: cheaper than ps-list, and synchronous.
import { parentIndex, pidsWithMarker as markedPids, scanStats, type ProcStat } from '../proc/stat.js';

// The reading of /proc itself is shared with the supervisor (daemon/proc/stat.ts).
export { CLOCK_TICKS, PAGE_SIZE, parseStat, readStat, sameProcess, scanStats, type ProcStat } from '../proc/stat.js';

export const JOB_MARKER = 'BL_JOB_ID';

function pidsWithMarker(value: string, among: ProcStat[]): Set<number> {
  // One read of every environ serves all the trees asked for within 50 ms (a usage sample of
  // every running job, a burst of kills); a stop polls again, so a later escapee is still found.
  const live = new Set(among.map((s) => s.pid));
  return new Set(markedPids(JOB_MARKER, value).filter((p) => live.has(p)));
}

export interface TreeRoot {
  pid: number;
  pgid: number;
  /** When set, processes carrying BL_JOB_ID=<marker> count too (costs a read of every environ). */
  marker?: string;
}

/** Live processes of a job's tree, from one scan. */
export function treeOf(root: TreeRoot, stats: ProcStat[] = scanStats()): ProcStat[] {
  const byParent = parentIndex(stats);
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
