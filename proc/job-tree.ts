// A job's process tree from /proc: its group, the descendants of its leader (also those that
// moved to a group of their own) and anything carrying the marker of its run (a daemonised
// grandchild that lost its parent), from one scan of /proc (stat.ts).
//
// Every process of a job carries BL_JOB_ID=<id> and BL_JOB_RUN=<id>:<attempt>@<launcher>. Kills
// go by the run marker: an attempt given up on one launcher (cut off past its lease) may still
// run while the next attempt of the same job runs on another launcher of the same host, and a
// kill of the one must never reach the other. The launcher's name is in it because a run that
// was never confirmed is re-queued as the same attempt (lease-rules.ts): the same attempt may
// run twice, on two launchers.
import { pidsWithMarker, scanStats, statIndex, type ProcStat } from './stat.js';
import { signalPid } from './stop-tree.js';

export const JOB_MARKER = 'BL_JOB_ID';
export const RUN_MARKER = 'BL_JOB_RUN';

/** The value of a run's marker: the job, its attempt and the launcher that runs it. */
export const runMarker = (id: string, attempt: number, launcher: string): string => `${id}:${attempt}@${launcher}`;

export interface TreeRoot {
  pid: number;
  pgid: number;
  /** When set, processes carrying BL_JOB_RUN=<marker> count too (costs a read of every environ). */
  marker?: string;
}

/** Live processes of a job's tree, from one scan. */
export function treeOf(root: TreeRoot, stats: ProcStat[] = scanStats()): ProcStat[] {
  const { byPid, byParent, byGroup } = statIndex(stats);
  const seen = new Map<number, ProcStat>();
  const add = (st: ProcStat | undefined) => {
    if (!st || seen.has(st.pid)) return;
    seen.set(st.pid, st);
    for (const c of byParent.get(st.pid) ?? []) add(c);
  };
  add(byPid.get(root.pid));
  for (const st of byGroup.get(root.pgid) ?? []) add(st);
  // One read of every environ serves all the trees asked for within 50 ms (a usage sample of
  // every running job, a burst of kills); a stop polls again, so a later escapee is still found.
  if (root.marker !== undefined) for (const p of pidsWithMarker(RUN_MARKER, root.marker)) add(byPid.get(p));
  return [...seen.values()];
}

/**
 * SIGKILL to every process of the tree, one by one (no group signal: the callers — crash
 * recovery, a job guard whose launcher died — may not have a verified group leader).
 * Returns how many were signalled.
 */
export function sigkillTree(root: TreeRoot, stats: ProcStat[] = scanStats()): number {
  let n = 0;
  for (const st of treeOf(root, stats)) if (signalPid(st.pid, 'SIGKILL')) n++;
  return n;
}
