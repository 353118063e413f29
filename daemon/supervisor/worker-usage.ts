// CPU and memory of each worker's process tree. One sampler for every worker of every task
// in the daemon: one scan of /proc a tick whatever the number of workers (runner/'s sampler,
// the one the jobs use). A sample is a measurement, not a change of the task's state: it is
// kept beside the task (task-manager.ts), not through the reducer.
import { UsageSampler } from '../../runner/usage-sampler.js';

export interface ProcessUsage {
  /** Over the last sample interval, 100 = one core. */
  cpuPercent: number;
  rssBytes: number;
}

export const SAMPLE_INTERVAL_MS = 1000;

export const workerSampler = new UsageSampler(SAMPLE_INTERVAL_MS);

/** The sum of the samples there are; undefined when there is none. */
export function sumUsage(samples: Iterable<ProcessUsage | undefined>): ProcessUsage | undefined {
  let sum: ProcessUsage | undefined;
  for (const u of samples) {
    if (!u) continue;
    sum ??= { cpuPercent: 0, rssBytes: 0 };
    sum.cpuPercent += u.cpuPercent;
    sum.rssBytes += u.rssBytes;
  }
  // Tenths, as each sample: a sum of tenths in floating point is not one.
  if (sum) sum.cpuPercent = Math.round(sum.cpuPercent * 10) / 10;
  return sum;
}
