// What a job or worker the OOM killer ended is told: the limit, the peak, how many it took.
import { formatBytes } from '../contract/limits.js';

export function oomReason(kills: number, limit: number | undefined, peak: number | null): string {
  const what = limit !== undefined ? `memory_max of ${formatBytes(limit)} reached` : 'out of memory';
  const p = peak !== null ? `peak ${formatBytes(peak)}; ` : '';
  return `${what} (${p}the kernel's OOM killer ended ${kills} ${kills === 1 ? 'process' : 'processes'})`;
}
