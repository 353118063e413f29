// The daemon's Prometheus registry: its own Registry, not prom-client's global one,
// so two daemons in one process (tests) never share or clash over series.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Services } from '../services.js';
import { registerTaskMetrics } from './task-metrics.js';
import { registerBrokerMetrics } from './broker-metrics.js';
import { registerAllocationMetrics } from './allocation-metrics.js';

export interface DaemonMetrics {
  registry: Registry;
  /** Stops listening to the bus. */
  close(): void;
}

export function createMetrics(s: Services): DaemonMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerTaskMetrics(registry, s);
  const unsubscribe = [registerBrokerMetrics(registry, s.broker, s.events), registerAllocationMetrics(registry, s.broker, s.events)];
  return { registry, close: () => unsubscribe.forEach((u) => u()) };
}
