// What a submit answers in text, and with which status: a line per job, what a sweep left out
// as already done, and a 200 instead of a 201 when a sweep made no job at all.
import type { JobRecord } from '../types.js';

export interface SubmitOutcome {
  jobs: JobRecord[];
  /** Per job: an earlier job returned for its idempotency key. */
  reused: boolean[];
  /** Sweep combinations left out because they already succeeded. */
  skipped: number;
}

export function submitReply(res: SubmitOutcome, sweep: boolean): { text: string; status: 200 | 201 } {
  if (sweep && res.jobs.length === 0) {
    const [what, them] = res.skipped === 1 ? ['its 1 combination has', 'it'] : [`all ${res.skipped} of its combinations have`, 'them'];
    return { text: `Nothing new submitted: ${what} already succeeded (send "force": true to run ${them} again)`, status: 200 };
  }
  const lines = res.jobs.map((j, i) => {
    if (res.reused[i]) return `Job ${j.id} already submitted (key ${j.key})`;
    if (j.state === 'waiting') return `Submitted job ${j.id} (waiting on ${j.after.join(', ')})`;
    if (j.state === 'cancelled') return `Submitted job ${j.id}, cancelled at once: ${j.reason}`;
    return `Submitted job ${j.id}`;
  });
  if (sweep && res.skipped > 0) lines.push(`Skipped ${res.skipped} already done`);
  const sweepId = res.jobs.find((j, i) => !res.reused[i] && j.sweep)?.sweep;
  if (sweepId) lines.push(`Sweep ${sweepId} (wait on all of it with "after": "${sweepId}")`);
  return { text: lines.join('\n'), status: 201 };
}
