// GET /metrics read by a real Prometheus text parser: the task, keep-alive and job families
// with the values the daemon's state implies, the histograms, and the process's default
// metrics; a change shows in the next scrape.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import parsePrometheus, { type MetricFamily } from 'parse-prometheus-text-format';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { waitForProcessCount, waitForReplacement, workerPids } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

const TASK = 'PromWorkers';
let d: InProcessDaemon;

before(async () => {
  d = await startInProcess({
    config: {
      tasks: {
        [TASK]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0 },
        PromIdle: { cmd: 'sleep', args: ['1000'], cardinality: 1, autostart: false },
      },
      broker: { concurrency: 2 },
    },
  });
  await waitForProcessCount(TASK, 2);
});

after(async () => {
  await d?.cleanup();
});

async function scrape(): Promise<Map<string, MetricFamily>> {
  const r = await d.request('GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return new Map(parsePrometheus(r.text).map((f) => [f.name, f]));
}

/** The value of the sample of `name` whose labels include `labels`. */
function value(fams: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const fam = fams.get(name);
  assert.ok(fam, `family ${name} is exposed`);
  const s = fam.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  assert.ok(s?.value !== undefined, `${name}${JSON.stringify(labels)} has a sample`);
  return Number(s.value);
}

test('task, keep-alive, job and process families with the daemon state as values', async () => {
  // One crash (a replacement: a restart), two keep-alives over HTTP, jobs that succeed and fail.
  const [first] = await workerPids(d, TASK);
  for (let i = 0; i < 2; i++) await d.api('POST', `/tasks/${TASK}/workers/${first}/alive`);
  process.kill(first!, 'SIGKILL');
  await waitForReplacement(d, TASK, first!, 2);
  const jobs = [];
  for (const command of ['echo one', 'echo two', "sh -c 'exit 3'"]) jobs.push((await d.api('POST', '/jobs', { command })).id);
  await waitFor('the jobs to end', async () => (await d.api('GET', '/jobs?state=completed')).jobs.length === 3);
  await d.api('PUT', '/broker/concurrency/0');
  await d.api('POST', '/jobs', { command: 'echo waits', queue: 'urgent' });
  await d.api('POST', '/jobs', { command: 'echo waits too' });

  const m = await scrape();
  assert.equal(value(m, 'bl_task_desired_workers', { task: TASK }), 2);
  assert.equal(value(m, 'bl_task_live_workers', { task: TASK }), 2);
  assert.equal(value(m, 'bl_task_state', { task: TASK, state: 'running' }), 1);
  assert.equal(value(m, 'bl_task_state', { task: TASK, state: 'flapping' }), 0);
  assert.equal(value(m, 'bl_task_restarts_total', { task: TASK }), 1);
  assert.equal(value(m, 'bl_task_worker_exits_total', { task: TASK, outcome: 'error' }), 1);
  assert.equal(value(m, 'bl_task_stalls_total', { task: TASK }), 0);
  assert.equal(value(m, 'bl_task_keepalives_total', { task: TASK }), 2);
  assert.equal(value(m, 'bl_keepalives_received_total'), 2);
  assert.equal(m.get('bl_task_restarts_total')!.type, 'COUNTER');
  assert.equal(m.get('bl_task_live_workers')!.type, 'GAUGE');
  // A task never started is not exposed (a `path` config can define hundreds).
  assert.ok(!m.get('bl_task_desired_workers')!.metrics.some((s) => s.labels?.task === 'PromIdle'));

  assert.equal(value(m, 'bl_jobs', { state: 'succeeded' }), 2);
  assert.equal(value(m, 'bl_jobs', { state: 'failed' }), 1);
  assert.equal(value(m, 'bl_jobs', { state: 'pending' }), 2);
  assert.equal(value(m, 'bl_job_queue_depth', { queue: 'urgent' }), 1);
  assert.equal(value(m, 'bl_job_queue_depth', { queue: 'normal' }), 1);
  assert.equal(value(m, 'bl_broker_concurrency'), 0);
  assert.equal(value(m, 'bl_jobs_finished_total', { state: 'failed' }), 1);

  for (const name of ['bl_job_dispatch_latency_seconds', 'bl_job_run_seconds']) {
    const h = m.get(name);
    assert.equal(h?.type, 'HISTOGRAM', name);
    const s = h!.metrics[0]!;
    assert.equal(Number(s.count), 3, `${name} count`);
    assert.ok(Number(s.sum) > 0, `${name} sum`);
    assert.equal(Number(s.buckets!['+Inf']), 3, `${name} +Inf bucket`);
    // Object key order puts integer-like bounds first: order by the bound itself.
    const counts = Object.entries(s.buckets!)
      .sort(([a], [b]) => Number(a === '+Inf' ? Infinity : a) - Number(b === '+Inf' ? Infinity : b))
      .map(([, c]) => Number(c));
    assert.deepEqual([...counts].sort((a, b) => a - b), counts, `${name} buckets are cumulative`);
  }

  // The process's own default metrics, on the daemon's registry.
  assert.ok(value(m, 'process_cpu_user_seconds_total') > 0);
  assert.ok(value(m, 'process_resident_memory_bytes') > 0);
  assert.ok(m.has('nodejs_eventloop_lag_seconds'));
});

test('scaling shows in the next scrape', async () => {
  await d.api('POST', `/tasks/${TASK}/set/cardinality/3`);
  await waitForProcessCount(TASK, 3);
  const m = await scrape();
  assert.equal(value(m, 'bl_task_desired_workers', { task: TASK }), 3);
  assert.equal(value(m, 'bl_task_live_workers', { task: TASK }), 3);
  await d.api('POST', `/tasks/${TASK}/stop`);
  const stopped = await scrape();
  assert.equal(value(stopped, 'bl_task_desired_workers', { task: TASK }), 0);
  assert.equal(value(stopped, 'bl_task_state', { task: TASK, state: 'stopped' }), 1);
  assert.equal(value(stopped, 'bl_task_worker_exits_total', { task: TASK, outcome: 'stopped' }), 3);
});
