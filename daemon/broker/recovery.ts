// After a crash of the daemon: jobs the store says were running here may still have processes.
// Only processes proven to be the job's are killed: the recorded pid when its start time
// matches (a recycled pid never does), its group and descendants, and anything carrying the
// job's BL_JOB_ID marker (and their descendants).
import { scanStats, type ProcStat } from '../../proc/stat.js';
import { JOB_MARKER, sigkillTree } from '../../proc/job-tree.js';
import type { JobRecord } from './types.js';

/** `stats`: one table of /proc for every job recovered at a start. */
export function killLeftovers(job: JobRecord, stats: ProcStat[] = scanStats()): number {
  const leaderOk = job.pid !== null && stats.some((s) => s.pid === job.pid && s.startTime === job.procStart);
  // Without a verified leader its pid and group id may belong to someone else by now:
  // -1 matches no process, so only the marker finds the job's processes.
  const root = leaderOk ? { pid: job.pid!, pgid: job.pgid ?? job.pid!, marker: job.id } : markerOnly(job.id);
  return sigkillTree(root, stats);
}

/** A tree found by its marker alone: -1 is no process and no group. */
const markerOnly = (id: string) => ({ pid: -1, pgid: -1, marker: id });
