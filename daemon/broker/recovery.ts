// After a crash of the daemon: jobs the store says were running on the built-in launcher.
// Their processes may still run: only processes proven to be the job's are killed (the
// recorded pid when its start time matches, as a recycled pid never does; its group and
// descendants; anything carrying the marker of the attempt that ran, BL_JOB_RUN, and their
// descendants). Then each job goes back to the head of its queue while retries remain, else
// it is `lost`.
import { scanStats, type ProcStat } from '../../proc/stat.js';
import { runMarker, sigkillTree } from '../../proc/job-tree.js';
import type { EventBus } from '../events/bus.js';
import { decideRecovery } from './dispatch.js';
import type { JobStore } from './store/store.js';
import { LOCAL_LAUNCHER, type JobRecord } from './types.js';

export function recoverLocalJobs(store: JobStore, events: EventBus): void {
  const left = store.running(LOCAL_LAUNCHER);
  const stats = left.length ? scanStats() : [];
  // Newest first, each to the head: the oldest ends up first, as they were.
  for (const job of left.sort((a, b) => (a.id < b.id ? 1 : -1))) {
    killLeftovers(job, stats);
    const d = decideRecovery(job.attempt, job.retries);
    const reason = 'the daemon stopped while the job ran';
    if (d.kind === 'requeue') {
      store.requeue(job.id, { head: true, attempt: d.attempt, reason });
      events.publish('job.requeued', { id: job.id, attempt: d.attempt, reason });
    } else {
      store.finish(job.id, { state: 'lost', exitCode: null, signal: null, usage: null, reason, now: Date.now() });
      events.publish('job.finished', { id: job.id, state: 'lost', reason });
    }
  }
}

/** `stats`: one table of /proc for every job recovered at a start. */
function killLeftovers(job: JobRecord, stats: ProcStat[] = scanStats()): number {
  const leaderOk = job.pid !== null && stats.some((s) => s.pid === job.pid && s.startTime === job.procStart);
  // Without a verified leader its pid and group id may belong to someone else by now:
  // -1 matches no process, so only the marker finds the job's processes.
  const marker = runMarker(job.id, job.attempt, job.launcher ?? LOCAL_LAUNCHER);
  const root = leaderOk ? { pid: job.pid!, pgid: job.pgid ?? job.pid!, marker } : markerOnly(marker);
  return sigkillTree(root, stats);
}

/** A tree found by its marker alone: -1 is no process and no group. */
const markerOnly = (marker: string) => ({ pid: -1, pgid: -1, marker });
