// Allocations (broker.slurm) as curl users read them: a table for GET /broker/allocations,
// one summary line for GET /broker, the allocation beside a Slurm launcher.
import type { AllocationJson, AllocationsJson, LauncherJson } from '../../contract/types.js';
import { duration } from '../log/event-text.js';
import { rfc3339 } from './respond.js';

export const ALLOCATION_HEADER = ['ID', 'STATE', 'NODE', 'LAUNCHER', 'CONNECTED', 'JOBS', 'TIME LEFT', 'SUBMITTED', 'REASON'].join('\t');

export function timeLeftText(s: number | null): string {
  return s === null ? '-' : duration(s * 1000);
}

export function allocationLine(a: AllocationJson): string {
  return [a.id, a.state, a.node ?? '-', a.launcher, a.connected ? 'yes' : 'no', a.jobs_run, timeLeftText(a.time_left_s), rfc3339(Date.parse(a.submitted_at)), a.reason ?? '-'].join('\t');
}

/** "1 pending, 2 running, 0 ending": the allocations alive, by state. */
export function allocationCounts(j: AllocationsJson): string {
  const n = (st: AllocationJson['state']) => j.allocations.filter((a) => a.state === st).length;
  return `${n('pending')} pending, ${n('running')} running, ${n('ending')} ending`;
}

export function allocationsText(j: AllocationsJson, limits: string): string {
  const lines = [`Paused:\t${j.paused ?? 'no'}`, `Allocations:\t${allocationCounts(j)} (${limits})`];
  lines.push(j.allocations.length ? [ALLOCATION_HEADER, ...j.allocations.map(allocationLine)].join('\n') : 'no allocations');
  return lines.join('\n');
}

/** ` (allocation 123, 58 min left)` after a Slurm launcher; '' for others. */
export function launcherAllocationText(l: LauncherJson): string {
  const a = l.allocation;
  if (!a) return '';
  return ` (allocation ${a.id}${a.time_left_s === null ? '' : `, ${timeLeftText(a.time_left_s)} left`})`;
}
