// The timed batch the broker and launcher benchmarks share: n jobs submitted while paused,
// then timed from the release (PUT concurrency) to the last job's end as the daemon recorded
// it (finished_at: when it saw the exit). Nothing is asked of the daemon while the batch runs
// but a GET /broker every 500 ms to know when to look: a poll's own granularity (up to 50 ms on
// a batch xargs runs in 1.2 s) and an event stream's cost (a write a job) both skewed it, and
// so did polling every 50 ms (~1 ms of the daemon's CPU a poll, 26 a sleep batch, against
// xargs, which nobody polls).
import type { TestDaemon } from '../test/helpers/daemon.js';
import { allJobs, waitIdle } from '../test/helpers/jobs.js';

/** Submits `n` copies of a job at `concurrency` (paused while submitting) and times the runs. */
export async function runBatch(d: TestDaemon, n: number, concurrency: number, jobSpec: Record<string, unknown>): Promise<number> {
  // The daemon may close an idle keep-alive connection just as fetch reuses it (a long gap
  // between batches): the first request is an idempotent one, tried twice. (Baselines are
  // timed without blocking this process: a blocked event loop kept stale sockets by the dozen.)
  await d.api('POST', '/broker/purge').catch(() => d.api('POST', '/broker/purge'));
  await d.api('PUT', '/broker/concurrency/0');
  await d.api('POST', '/jobs', Array.from({ length: n }, () => ({ cwd: '/tmp', ...jobSpec })));
  // Wall clock on both sides (same host): finished_at is the daemon's Date.now() at the exit.
  const t0 = Date.now();
  await d.api('PUT', `/broker/concurrency/${concurrency}`);
  await waitIdle(d, { timeout: 600_000, interval: 500 });
  const done = await allJobs(d, 'completed');
  if (done.length !== n || done.some((j) => j.state !== 'succeeded')) throw new Error(`expected ${n} succeeded, found ${JSON.stringify((await d.api('GET', '/broker')).counts)}`);
  const last = Math.max(...done.map((j) => Date.parse(j.finished_at!)));
  return (last - t0) / 1000;
}
