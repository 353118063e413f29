// The timed batch the broker and launcher benchmarks share: n jobs submitted while paused,
// then timed from the release (PUT concurrency) until nothing is pending or running.
import type { TestDaemon } from '../test/helpers/daemon.js';
import { sleep } from '../test/helpers/wait.js';

/** Polls gently: every request to the daemon takes time from the runs being measured. */
async function waitIdle(d: TestDaemon): Promise<void> {
  for (;;) {
    const b = await d.api('GET', '/broker');
    if (b.pending === 0 && b.running === 0) return;
    await sleep(50);
  }
}

/** Submits `n` copies of a job at `concurrency` (paused while submitting) and times the runs. */
export async function runBatch(d: TestDaemon, n: number, concurrency: number, jobSpec: Record<string, unknown>): Promise<number> {
  // After a long baseline the daemon may close the idle keep-alive connection just as fetch
  // reuses it ("other side closed"): the first request of a batch is an idempotent one, retried.
  await d.api('POST', '/broker/purge').catch(() => d.api('POST', '/broker/purge'));
  await d.api('PUT', '/broker/concurrency/0');
  await d.api('POST', '/jobs', Array.from({ length: n }, () => ({ cwd: '/tmp', ...jobSpec })));
  const t = process.hrtime.bigint();
  await d.api('PUT', `/broker/concurrency/${concurrency}`);
  await waitIdle(d);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  const b = await d.api('GET', '/broker');
  if (b.counts.succeeded !== n) throw new Error(`expected ${n} succeeded, found ${JSON.stringify(b.counts)}`);
  return s;
}
