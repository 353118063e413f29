// What a job or worker the OOM killer ended is told: the limit, the peak, how many it took;
// and how a job's end reads with its cgroup's counts.
import { formatBytes } from '../contract/limits.js';
import type { RunResult } from '../contract/run.js';
import type { GroupUsage } from '../proc/cgroup/usage.js';

export function oomReason(kills: number, limit: number | undefined, peak: number | null): string {
  const what = limit !== undefined ? `memory_max of ${formatBytes(limit)} reached` : 'out of memory';
  const p = peak !== null ? `peak ${formatBytes(peak)}; ` : '';
  return `${what} (${p}the kernel's OOM killer ended ${kills} ${kills === 1 ? 'process' : 'processes'})`;
}

/**
 * A run's end with what its cgroup counted: its memory peak in rss_max, and `oom` when the
 * kernel's OOM killer took a process of it while nothing else was ending it (a run bl killed
 * keeps the outcome of that kill).
 */
export function groupEnd(r: RunResult, u: GroupUsage, memoryMax: number | undefined): RunResult {
  let usage = r.usage;
  const peak = Math.max(u.memoryPeak ?? 0, u.memory ?? 0);
  if (peak > 0) usage = { cpu_max: usage?.cpu_max ?? 0, cpu_last: usage?.cpu_last ?? 0, rss_last: usage?.rss_last ?? 0, rss_max: Math.max(usage?.rss_max ?? 0, peak) };
  if (u.oomKills > 0 && r.outcome === 'exited') return { ...r, outcome: 'oom', reason: oomReason(u.oomKills, memoryMax, u.memoryPeak), usage };
  return { ...r, usage };
}
