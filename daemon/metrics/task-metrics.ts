// Per-task families, read from the task managers and the keep-alive counters at scrape time
// (collect()), so the supervisor's hot paths carry no metrics code.
import { Counter, Gauge, type Registry } from 'prom-client';
import { deadCount, liveWorkers, taskState } from '../supervisor/decide.js';
import type { Services } from '../services.js';

const STATES = ['running', 'stopped', 'backoff', 'flapping', 'waiting'] as const;

export function registerTaskMetrics(registry: Registry, s: Services): void {
  // Only managers that exist: a `path` of /bin defines a thousand tasks nobody started.
  const managers = () => s.supervisor.active();
  const registers = [registry];

  new Gauge({
    name: 'bl_task_desired_workers',
    help: 'Workers the task should have: its cardinality while it runs, 0 when stopped.',
    labelNames: ['task'],
    registers,
    collect() {
      this.reset();
      for (const m of managers()) this.set({ task: m.name }, m.view.running ? m.view.spec.cardinality : 0);
    },
  });
  new Gauge({
    name: 'bl_task_live_workers',
    help: 'Workers of the task that are up and not being stopped.',
    labelNames: ['task'],
    registers,
    collect() {
      this.reset();
      for (const m of managers()) this.set({ task: m.name }, liveWorkers(m.view).length);
    },
  });
  new Gauge({
    name: 'bl_task_state',
    help: 'The task state, one series per state set to 1 for the current one (backoff and flapping: restarts are being held back; waiting: for the tasks it requires).',
    labelNames: ['task', 'state'],
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      for (const m of managers()) {
        const current = taskState(m.view, now);
        for (const st of STATES) this.set({ task: m.name, state: st }, st === current ? 1 : 0);
      }
    },
  });
  new Counter({
    name: 'bl_task_restarts_total',
    help: 'Workers started (or tried: a failed spawn counts) in place of one that exited, crashed or stalled, or of a spawn that failed.',
    labelNames: ['task'],
    registers,
    collect() {
      this.reset();
      for (const m of managers()) this.inc({ task: m.name }, m.view.counters.restarts);
    },
  });
  new Counter({
    name: 'bl_task_stalls_total',
    help: 'Workers stopped because no keep-alive came within stall_timeout.',
    labelNames: ['task'],
    registers,
    collect() {
      this.reset();
      for (const m of managers()) this.inc({ task: m.name }, m.view.counters.stalled);
    },
  });
  new Counter({
    name: 'bl_task_worker_exits_total',
    help: 'Workers gone, by outcome: ok (exit 0), error (other code or a signal), stalled, stopped (on purpose: scale-down, stop, restart).',
    labelNames: ['task', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const m of managers()) {
        const c = m.view.counters;
        this.inc({ task: m.name, outcome: 'ok' }, c.exitedOk);
        this.inc({ task: m.name, outcome: 'error' }, c.exitedError);
        this.inc({ task: m.name, outcome: 'stalled' }, c.stalled);
        this.inc({ task: m.name, outcome: 'stopped' }, c.stopped);
      }
    },
  });
  new Gauge({
    name: 'bl_task_dead_workers',
    help: "The seed's Dead Workers: stalled plus exited workers, not the ones stopped on purpose.",
    labelNames: ['task'],
    registers,
    collect() {
      this.reset();
      for (const m of managers()) this.set({ task: m.name }, deadCount(m.view.counters));
    },
  });
  new Counter({
    name: 'bl_task_keepalives_total',
    help: "Keep-alives accepted for the task's workers.",
    labelNames: ['task'],
    registers,
    collect() {
      this.reset();
      // Keep-alives match task names case-insensitively, so their counts are keyed by the
      // name the worker sent; fold them onto the task's own name.
      const byLower = new Map<string, number>();
      for (const [name, n] of s.keepalives.byTask) byLower.set(name.toLowerCase(), (byLower.get(name.toLowerCase()) ?? 0) + n);
      for (const m of managers()) this.inc({ task: m.name }, byLower.get(m.name.toLowerCase()) ?? 0);
    },
  });
  new Counter({
    name: 'bl_keepalives_received_total',
    help: 'Keep-alive messages received, counted or not.',
    registers,
    collect() {
      this.reset();
      this.inc(s.keepalives.received);
    },
  });
  new Counter({
    name: 'bl_keepalives_dropped_total',
    help: 'Keep-alive messages dropped, by reason.',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const k = s.keepalives;
      this.inc({ reason: 'malformed' }, k.malformed);
      this.inc({ reason: 'unknown_task' }, k.unknownTask);
      this.inc({ reason: 'unknown_pid' }, k.unknownPid);
    },
  });
}
