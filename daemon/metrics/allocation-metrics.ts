// Slurm allocations (broker.slurm): submissions and failures counted from the bus, the
// allocations by state read at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Broker } from '../broker/broker.js';
import type { EventBus } from '../events/bus.js';

const STATES = ['pending', 'running', 'ending', 'ended'] as const;

/** Registers the allocation families; returns the bus unsubscribe. */
export function registerAllocationMetrics(registry: Registry, broker: Broker, events: EventBus): () => void {
  const registers = [registry];
  const submitted = new Counter({ name: 'bl_allocations_submitted_total', help: 'Slurm allocations submitted (sbatch succeeded) since the daemon started.', registers });
  const failures = new Counter({
    name: 'bl_allocation_failures_total',
    help: 'Slurm allocation failures since the daemon started: sbatch refused (kind="sbatch"), a pilot that died at start (kind="start").',
    labelNames: ['kind'],
    registers,
  });
  if (broker.allocations.configured) for (const kind of ['sbatch', 'start']) failures.inc({ kind }, 0);
  new Gauge({
    name: 'bl_allocations',
    help: 'Slurm allocations the daemon follows, by state (ended: the recent ones it lists).',
    labelNames: ['state'],
    registers,
    collect() {
      const a = broker.allocations;
      if (!a.configured) return;
      const list = a.list().allocations;
      for (const st of STATES) this.set({ state: st }, list.filter((x) => x.state === st).length);
    },
  });
  new Gauge({
    name: 'bl_allocations_paused',
    help: '1 while the submission of Slurm allocations is paused after repeated failures.',
    registers,
    collect() {
      const a = broker.allocations;
      if (a.configured) this.set(a.list().paused === null ? 0 : 1);
    },
  });
  return events.subscribe((e) => {
    if (e.topic === 'alloc.submitted') submitted.inc();
    else if (e.topic === 'alloc.failed') failures.inc({ kind: e.data.kind === 'sbatch' ? 'sbatch' : 'start' });
  });
}
