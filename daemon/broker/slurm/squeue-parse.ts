// What one squeue call says of the daemon's allocations, pure: `squeue -h -t all -j IDS -o
// SQUEUE_FORMAT` prints a line per job Slurm still holds (ended ones too, for MinJobAge), and the
// allocation's phase and end follow from its state. Durations (%L, %M) rather than times: they
// need no time zone or SLURM_TIME_FORMAT to read.
import { parseSlurmDuration } from './slurm-time.js';

/** Job id, state, node list, reason, time left, time used. */
export const SQUEUE_FORMAT = '%i|%T|%N|%r|%L|%M';

export interface SlurmJobView {
  id: string;
  /** Slurm's state name: PENDING, RUNNING, COMPLETED, TIMEOUT… */
  state: string;
  node: string | null;
  /** Slurm's reason (why pending, why it failed); null for "None". */
  reason: string | null;
  timeLeftS: number | null;
  elapsedS: number | null;
}

export type AllocPhase = 'pending' | 'running' | 'ending' | 'ended';

const PENDING = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESV_DEL_HOLD']);
const RUNNING = new Set(['RUNNING', 'SUSPENDED', 'STOPPED', 'RESIZING']);
const ENDING = new Set(['COMPLETING', 'SIGNALING', 'STAGE_OUT']);

export function parseSqueue(stdout: string): Map<string, SlurmJobView> {
  const out = new Map<string, SlurmJobView>();
  for (const line of stdout.split('\n')) {
    const f = line.trim().split('|');
    if (f.length < 6 || !/^\d+$/.test(f[0]!)) continue;
    const [id, state, node, reason, left, used] = f as [string, string, string, string, string, string];
    out.set(id, {
      id,
      state: state.trim().toUpperCase(),
      node: node.trim() || null,
      reason: reason.trim() === '' || reason.trim() === 'None' ? null : reason.trim(),
      timeLeftS: parseSlurmDuration(left) ?? null,
      elapsedS: parseSlurmDuration(used) ?? null,
    });
  }
  return out;
}

/** The allocation's phase from Slurm's state (an unknown state name counts as ended). */
export function phaseOf(state: string): AllocPhase {
  if (PENDING.has(state)) return 'pending';
  if (RUNNING.has(state)) return 'running';
  if (ENDING.has(state)) return 'ending';
  return 'ended';
}

const ENDS: Record<string, string> = {
  COMPLETED: 'its launcher exited',
  TIMEOUT: 'time limit reached',
  CANCELLED: 'cancelled',
  FAILED: 'failed',
  NODE_FAIL: 'its node failed',
  PREEMPTED: 'preempted',
  OUT_OF_MEMORY: 'out of memory',
  BOOT_FAIL: 'its node failed to boot',
  DEADLINE: 'its deadline passed',
};

/**
 * How an allocation ended, in words, with Slurm's own state and reason; `v` undefined: squeue no
 * longer lists it. `said`: why its launcher said it was leaving, which tells a pilot's own exit
 * (idle, the end of its time) better than Slurm's COMPLETED does.
 */
export function endedHow(v: SlurmJobView | undefined, said?: string | null): string {
  if (said && (!v || v.state === 'COMPLETED')) return `its launcher exited: ${said}${v ? ` (Slurm: ${v.state})` : ''}`;
  if (!v) return "no longer in Slurm's queue";
  const words = ENDS[v.state] ?? v.state.toLowerCase().replace(/_/g, ' ');
  return `${words} (Slurm: ${v.state}${v.reason ? `, ${v.reason}` : ''})`;
}

// Pending reasons Slurm gives a job it cannot start as asked while the cluster's configuration
// stays as it is: waiting on them only blocks the jobs behind (max_pending_allocations holds the
// place). Reasons of a busy cluster (Priority, Resources, AssocGrp*Limit…) are waited out.
const NEVER: Record<string, string> = {
  PartitionConfig: 'the partition cannot give what a pilot asks: cpus_per_launcher, sbatch_args; see scontrol show partition',
  BadConstraints: "no node of the partition meets what a pilot asks: cpus_per_launcher, sbatch_args",
  PartitionNodeLimit: "a pilot asks for more nodes than the partition allows, or its nodes are down",
  PartitionTimeLimit: "time_limit is longer than the partition's MaxTime",
  InvalidAccount: 'the account is not known to Slurm',
  InvalidQOS: 'the QOS is not known to Slurm',
  AccountNotAllowed: 'the account may not use this partition',
  QOSNotAllowed: 'the QOS may not use this partition',
};

/** Why a pending allocation will never start (Slurm's reason in words), or null when it may. */
export function neverStarts(v: SlurmJobView): string | null {
  if (phaseOf(v.state) !== 'pending' || v.reason === null) return null;
  const words = NEVER[v.reason];
  return words === undefined ? null : `Slurm will not start it as asked: ${v.reason} (${words})`;
}

/** squeue's answer when none of the ids asked for is known any more (it exits 1 for that). */
export function allUnknown(stderr: string): boolean {
  return /invalid job id specified/i.test(stderr);
}
