// At a start: jobs the store says run on the built-in launcher were started by an earlier
// daemon. Each one's keeper (its spawn helper, which outlived that daemon) may have written its
// end: then that is its end, with no second run. A job whose process still runs is followed to
// its end (local-launcher.ts attach). One with no process and no end is waited for while a
// keeper lives that may still write it; else only processes proven to be the job's are killed
// (the recorded pid when its start time matches, as a recycled pid never does; its group and
// descendants; anything carrying the marker of the attempt that ran, BL_JOB_RUN, and their
// descendants; everything in its cgroup, when it ran in one), and the job goes back to the
// head of its queue while retries remain, else it is `lost`.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { markedPids, scanStats, statIndex, type ProcStat } from '../../proc/stat.js';
import { RUN_MARKER, runMarker, sigkillTree } from '../../proc/job-tree.js';
import { endFileName } from '../../runner/spawn-helpers/end-file.js';
import type { RunResult } from '../../contract/run.js';
import type { EventBus } from '../events/bus.js';
import { decideRecovery } from './dispatch.js';
import type { LocalLauncher } from './local-launcher.js';
import { decideRecoveryOf } from './reattach-rules.js';
import { endResult, findKeepers, knownAlive, listEnds, readEnd, type Known, type Leader } from './reattach.js';
import type { JobStore } from './store/store.js';
import { LOCAL_LAUNCHER, type JobRecord } from './types.js';

export interface RecoveryDeps {
  store: JobStore;
  events: EventBus;
  launcher: LocalLauncher;
  /** Records a run's end as if the run had reported it (the broker's own path). */
  ended(job: JobRecord, result: RunResult): void;
}

export function recoverLocalJobs(d: RecoveryDeps): void {
  const { store, events, launcher } = d;
  const dir = launcher.endsDir;
  const left = store.running(LOCAL_LAUNCHER);
  const known = new Set<string>();
  if (left.length > 0) {
    // One table of /proc and one read of every environ for all the jobs: under load a scan
    // of every environ takes a good part of a second, and there may be thousands of jobs.
    const stats = scanStats();
    const marked = markedPids(RUN_MARKER, 0);
    const keepers = findKeepers(dir, stats);
    const keepersAlive = keepers.some(knownAlive);
    // Newest first, each to the head: the oldest ends up first, as they were.
    for (const job of left.sort((a, b) => (a.id < b.id ? 1 : -1))) {
      const name = endFileName(job.id, job.attempt);
      known.add(name);
      const leader = job.http ? undefined : findLeader(job, stats, marked, keepers);
      // Read after /proc: an end written as its job vanished from there is seen.
      const end = readEnd(path.join(dir, name));
      const a = decideRecoveryOf({ http: !!job.http, end, leaderAlive: leader !== undefined, keepersAlive });
      if (a.kind === 'ended') {
        if (a.end.left) killLeftovers(job, stats, marked);
        d.ended(job, launcher.clearGroup(job, endResult(a.end, job.startedAt)));
        rmSync(path.join(dir, name), { force: true });
      } else if (a.kind === 'attach') {
        launcher.attach(job, leader!);
        events.publish('job.reattached', { id: job.id, pid: leader!.pid, keeper: leader!.keeper?.pid ?? null });
      } else if (a.kind === 'await') {
        launcher.awaitEnd(job, keepers);
        events.publish('job.reattached', { id: job.id, pid: null, keeper: null });
      } else {
        killLeftovers(job, stats, marked);
        launcher.dropGroup(job);
        requeueOrLose(store, events, job, a.reason);
      }
    }
  }
  // Ends of jobs recorded already (a keeper writes the ends it reported lately, which its
  // daemon may or may not have recorded): nothing to do with them.
  for (const f of listEnds(dir)) if (!known.has(f)) rmSync(path.join(dir, f), { force: true });
}

function requeueOrLose(store: JobStore, events: EventBus, job: JobRecord, why: string): void {
  const d = decideRecovery(job.attempt, job.retries);
  if (d.kind === 'requeue') {
    const reason = `attempt ${job.attempt}: ${why}; re-queued as attempt ${d.attempt}`;
    store.requeue(job.id, { head: true, attempt: d.attempt, reason });
    events.publish('job.requeued', { id: job.id, attempt: d.attempt, reason });
  } else {
    const reason = `attempt ${job.attempt}: ${why}; no retries left`;
    store.finish(job.id, { state: 'lost', exitCode: null, signal: null, usage: null, reason, now: Date.now() });
    events.publish('job.finished', { id: job.id, state: 'lost', reason });
  }
}

/**
 * The job's live leader: the recorded pid when its start time matches; without a record (a
 * job younger than its first usage sample), the process carrying its marker and attempt whose
 * parent is a keeper, else the one heading its session whose parent does not carry the marker.
 */
function findLeader(job: JobRecord, stats: ProcStat[], markers: ReadonlyMap<string, number[]>, keepers: Known[]): Leader | undefined {
  const { byPid } = statIndex(stats);
  const keeperOf = (ppid: number): Known | null => keepers.find((k) => k.pid === ppid) ?? null;
  if (job.pid !== null && job.procStart !== null) {
    const st = byPid.get(job.pid);
    return st && st.startTime === job.procStart ? { pid: st.pid, startTime: st.startTime, keeper: keeperOf(st.ppid) } : undefined;
  }
  const marked = (markers.get(runMarker(job.id, job.attempt, LOCAL_LAUNCHER)) ?? []).filter((p) => byPid.has(p));
  const ours = new Set(marked);
  const kept = marked.find((p) => keeperOf(byPid.get(p)!.ppid));
  const pid = kept ?? marked.find((p) => byPid.get(p)!.pgid === p && !ours.has(byPid.get(p)!.ppid));
  if (pid === undefined) return undefined;
  const st = byPid.get(pid)!;
  return { pid, startTime: st.startTime, keeper: keeperOf(st.ppid) };
}


/**
 * `stats`, `markers`: one table of /proc and one of the BL_JOB_RUN markers (`<id>:<attempt>`)
 * for every job recovered at a start: only the attempt the store says ran is hit. Its verified leader's tree, and every process carrying its marker
 * with theirs.
 */
function killLeftovers(job: JobRecord, stats: ProcStat[], markers: ReadonlyMap<string, number[]>): number {
  const leaderOk = job.pid !== null && stats.some((s) => s.pid === job.pid && s.startTime === job.procStart);
  // Without a verified leader its pid and group id may belong to someone else by now: -1 is
  // no process and no group, so only the marker finds the job's processes.
  let n = leaderOk ? sigkillTree({ pid: job.pid!, pgid: job.pgid ?? job.pid! }, stats) : 0;
  for (const pid of markers.get(runMarker(job.id, job.attempt, LOCAL_LAUNCHER)) ?? []) n += sigkillTree({ pid, pgid: -1 }, stats);
  return n;
}
