// The timed batch the broker and launcher benchmarks share: n jobs submitted while paused,
// then timed from the release (PUT concurrency) to the last job's end as the daemon recorded
// it (finished_at: when it saw the exit). Nothing is asked of the daemon while the batch runs
// but a GET /broker every 500 ms to know when to look: a poll's own granularity (up to 50 ms on
// a batch xargs runs in 1.2 s) and an event stream's cost (a write a job) both skewed it, and
// so did polling every 50 ms (~1 ms of the daemon's CPU a poll, 26 a sleep batch, against
// xargs, which nobody polls).
import type { TestDaemon } from '../test/helpers/daemon.js';
import { allJobs, waitIdle } from '../test/broker/broker-helpers.js';

/** Submits `n` copies of a job at `concurrency` (paused while submitting) and times the runs. */
/** `churn`, when given, gets the held jobs the broker sent back while the batch ran (should stay 0). */
export async function runBatch(d: TestDaemon, n: number, concurrency: number, jobSpec: Record<string, unknown>, churn?: number[]): Promise<number> {
  // A baseline timed with execSync blocks this process for seconds: fetch's pooled keep-alive
  // connections outlive the daemon's keep-alive timeout unnoticed, and the next requests meet
  // closed sockets ("other side closed", ECONNRESET), one a pooled connection. Idempotent GETs
  // first, until one passes, use them up.
  for (let i = 0; ; i++) {
    try {
      await d.api('GET', '/broker');
      break;
    } catch (e) {
      if (i >= 4) throw e;
    }
  }
  await d.api('POST', '/broker/purge');
  await d.api('PUT', '/broker/concurrency/0');
  await d.api('POST', '/jobs', Array.from({ length: n }, () => ({ cwd: '/tmp', ...jobSpec })));
  // Wall clock on both sides (same host): finished_at is the daemon's Date.now() at the exit.
  const returned0 = churn ? (await d.api('GET', '/broker')).standby_returned : 0;
  const t0 = Date.now();
  await d.api('PUT', `/broker/concurrency/${concurrency}`);
  await waitIdle(d, { timeout: 600_000, interval: 500 });
  if (churn) churn.push((await d.api('GET', '/broker')).standby_returned - returned0);
  const done = await allJobs(d, 'completed');
  if (done.length !== n || done.some((j) => j.state !== 'succeeded')) throw new Error(`expected ${n} succeeded, found ${JSON.stringify((await d.api('GET', '/broker')).counts)}`);
  const last = Math.max(...done.map((j) => Date.parse(j.finished_at!)));
  return (last - t0) / 1000;
}
