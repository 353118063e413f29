// Job families: counts by state and queue depth read from the broker at scrape time, dispatch
// latency and run time histograms fed by the bus (job-timing.ts).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { JOB_STATES } from '../../contract/types.js';
import type { Broker } from '../broker/broker.js';
import type { EventBus } from '../events/bus.js';
import { JobTiming } from './job-timing.js';

// From a fork (~ms) to a long batch job (hours).
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];

/** One status read serves every family of a scrape (they are collected back to back). */
function snapshot(broker: Broker): () => ReturnType<Broker['status']> {
  let cached: { at: number; value: ReturnType<Broker['status']> } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > 100) cached = { at: now, value: broker.status() };
    return cached.value;
  };
}

/** Registers the job families; returns the bus unsubscribe. */
export function registerBrokerMetrics(registry: Registry, broker: Broker, events: EventBus): () => void {
  const registers = [registry];
  const status = snapshot(broker);

  new Gauge({
    name: 'bl_jobs',
    help: 'Jobs in the store by state.',
    labelNames: ['state'],
    registers,
    collect() {
      const c = status().counts;
      for (const st of JOB_STATES) this.set({ state: st }, c[st] ?? 0);
    },
  });
  new Gauge({
    name: 'bl_job_queue_depth',
    help: 'Pending jobs by queue.',
    labelNames: ['queue'],
    registers,
    collect() {
      const st = status();
      this.set({ queue: 'urgent' }, st.pending_urgent);
      this.set({ queue: 'normal' }, st.pending - st.pending_urgent);
    },
  });
  new Gauge({
    name: 'bl_broker_concurrency',
    help: 'Jobs allowed to run at once (0 = dispatch paused).',
    registers,
    collect() {
      this.set(status().concurrency);
    },
  });
  new Gauge({
    name: 'bl_broker_running_jobs',
    help: 'Jobs running now, on every launcher.',
    registers,
    collect() {
      this.set(status().running);
    },
  });

  // Histograms without labels: a per-queue split would double the series for little, and
  // keeps the exposition readable by simple parsers.
  const latency = new Histogram({
    name: 'bl_job_dispatch_latency_seconds',
    help: 'Time a job waited in its queue, from submit (or re-queue) to the start of its run.',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const runTime = new Histogram({
    name: 'bl_job_run_seconds',
    help: 'Time from the start of a run to its end, whatever the end state.',
    buckets: RUN_BUCKETS,
    registers,
  });
  const finished = new Counter({
    name: 'bl_jobs_finished_total',
    help: 'Jobs that reached an end state since the daemon started, by state.',
    labelNames: ['state'],
    registers,
  });
  const timing = new JobTiming(
    {
      dispatched: (s) => latency.observe(s),
      finished: (state, s) => {
        finished.inc({ state });
        if (s !== undefined) runTime.observe(s);
      },
    },
    (id) => {
      try {
        return broker.store.get(id)?.submittedAt;
      } catch {
        return undefined; // a store refusing reads costs one sample, not the broker's start
      }
    },
  );
  return events.subscribe((e) => timing.onEvent(e));
}
