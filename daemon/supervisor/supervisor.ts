// All task managers: known tasks come from the config (a `path` of /bin makes a thousand of
// them), so managers are made on first use. Also finds the workers of a crashed daemon, keeps
// the run-time changes of tasks in the store (task-settings.ts) and checks every task's
// command before it is needed (preflight.ts).
import type { TaskSpec } from '../config/types.js';
import { BlError } from '../../contract/errors.js';
import { didYouMean } from '../../contract/did-you-mean.js';
import { TaskManager, workerTree, type ManagerDeps } from './task-manager.js';
import { WorkerRecords, type WorkerRecord } from './worker-records.js';
import { sameProcess } from '../../proc/stat.js';
import { stopTreeBatched } from '../../proc/stop-tree.js';
import { inheritedEnv } from '../../proc/inherited-env.js';
import { liveWorkers, type TaskEvent } from './decide.js';
import type { TaskSettings } from './task-settings.js';
import { checkTask } from './preflight.js';
import type { Logger } from '../log/logger.js';
import type { ReloadPlan } from '../config/reload-plan.js';
import { dependentsOf, stopRounds, withRequirements } from '../config/task-graph.js';
import { gate } from './readiness.js';

export interface SupervisorDeps extends ManagerDeps {
  records: WorkerRecords;
  settings: TaskSettings;
  log: Logger;
}

export class Supervisor {
  /** The config file's tasks, as the file says them (the run-time values are the managers'). */
  private specs: Map<string, TaskSpec>;
  private readonly managers = new Map<string, TaskManager>();
  private readonly managerDeps: ManagerDeps;
  /** What checkTasks found wrong, by task. */
  private problems = new Map<string, string>();
  /** Tasks started and waiting for their requirements: asked again when one of those changes. */
  private readonly gated = new Set<string>();

  constructor(
    specs: Map<string, TaskSpec>,
    private readonly deps: SupervisorDeps,
  ) {
    this.specs = new Map(specs);
    deps.settings.sync(this.specs);
    this.managerDeps = {
      ...deps,
      dispatched: (task, e) => {
        this.remember(task, e);
        this.requirementsChanged(task, e);
      },
      problem: (task) => this.problems.get(task),
    };
  }

  names(): string[] {
    return [...this.specs.keys()];
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  /** The manager of a known task; a 404 naming the closest task otherwise. */
  get(name: string): TaskManager {
    let m = this.managers.get(name);
    if (m) return m;
    const spec = this.specs.get(name);
    if (!spec) {
      const hint = didYouMean(name, this.specs.keys());
      throw new BlError('unknown_task', `no task named "${name}"${hint ? `; did you mean "${hint}"?` : ''}`);
    }
    m = new TaskManager(this.deps.settings.apply(spec), this.managerDeps);
    this.managers.set(name, m);
    return m;
  }

  /** Managers that exist (started at least once), in name order. */
  active(): TaskManager[] {
    return [...this.managers.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  running(): TaskManager[] {
    return this.active().filter((m) => m.view.running || m.view.workers.size > 0);
  }

  /** Starts the tasks that run: autostarted ones, unless stopped at run time, and the ones started at run time (with what they require). */
  autostart(): void {
    for (const spec of this.specs.values()) if (this.deps.settings.value(spec, 'running')) this.start(spec.name);
  }

  /**
   * Starts a task and, first, every task it requires that does not run; one whose requirements
   * are not all ready yet waits for them before its first spawn. Returns the tasks started,
   * requirements first.
   */
  start(name: string): string[] {
    this.get(name); // a 404 for an unknown task before anything starts
    const started: string[] = [];
    for (const n of withRequirements(this.specs, [name])) {
      const m = this.get(n);
      if (m.view.running) continue;
      const g = this.gateOf(n);
      if (g.waiting.length) this.gated.add(n);
      m.dispatch({ type: 'start', waiting: g.waiting, recheckAt: g.recheckAt });
      started.push(n);
    }
    return started;
  }

  /** The running tasks that require `name`, directly or not, in the order they stop (the furthest first). */
  runningDependents(name: string): string[] {
    return dependentsOf(this.specs, name).filter((d) => {
      const m = this.managers.get(d);
      return m !== undefined && (m.view.running || m.view.workers.size > 0);
    });
  }

  /**
   * Stops a task. One that running tasks require is refused (409, naming them) unless
   * `withDependents`: then they stop first, one after the other, the furthest first. `stopping`
   * lists the tasks being stopped; `done` resolves when none of their processes is left.
   */
  stop(name: string, withDependents = false): { stopping: string[]; done: Promise<void> } {
    const m = this.get(name);
    const deps = this.runningDependents(name);
    if (deps.length && !withDependents) {
      const list = deps.map((d) => `"${d}"`).join(', ');
      throw new BlError(
        'conflict',
        `task "${name}" is required by ${list}, which ${deps.length === 1 ? 'runs' : 'run'}; stop ${deps.length === 1 ? 'it' : 'them'} first, or stop with dependents (?with_dependents=1, console: stop ${name} --with-dependents)`,
      );
    }
    const done = (async () => {
      for (const d of deps) await this.get(d).stop();
      await m.stop();
    })();
    return { stopping: [...deps, name], done };
  }

  private gateOf(name: string) {
    const spec = this.specs.get(name)!;
    return gate(spec.requires.map((r) => this.get(r).view), Date.now());
  }

  /**
   * After an event of `task`: the gates of the tasks waiting on it (and its own, at the wake it
   * asked for) are asked again. Keep-alives pass here: with nothing waiting, one lookup.
   */
  private requirementsChanged(task: string, e: TaskEvent): void {
    if (this.gated.size === 0 || e.type === 'requirements') return;
    for (const name of [...this.gated]) {
      if (name === task || this.specs.get(name)?.requires.includes(task)) this.regate(name);
    }
  }

  /** Asks a waiting task's gate again; forgets the tasks that no longer wait. */
  private regate(name: string): void {
    const m = this.managers.get(name);
    if (!m || !m.view.running || m.view.waiting.length === 0 || !this.specs.has(name)) {
      this.gated.delete(name);
      return;
    }
    const g = this.gateOf(name);
    if (g.waiting.length === 0) this.gated.delete(name);
    m.dispatch({ type: 'requirements', waiting: g.waiting, recheckAt: g.recheckAt });
  }

  /**
   * Checks every task's cwd, program and script (a config copied elsewhere breaks them all);
   * returns the problems found, which the tasks' status shows until a spawn says otherwise.
   */
  checkTasks(): [string, string][] {
    const found = new Map<string, string>();
    for (const spec of this.specs.values()) {
      const p = checkTask(spec, spec.env.PATH ?? inheritedEnv().PATH);
      if (p) found.set(spec.name, p);
    }
    this.problems = found;
    return [...found];
  }

  /** A change made at run time (a start, a stop, a cardinality, an option), kept in the store. */
  private remember(task: string, e: TaskEvent): void {
    // Every keep-alive and tick passes here: they go first, with nothing to keep.
    if (e.type !== 'start' && e.type !== 'adopt' && e.type !== 'stop' && e.type !== 'set-cardinality' && e.type !== 'set-option') return;
    const spec = this.specs.get(task);
    if (!spec) return;
    const s = this.deps.settings;
    try {
      if (e.type === 'start' || e.type === 'adopt') s.set(spec, 'running', true);
      else if (e.type === 'stop' && e.reason !== 'shutdown') s.set(spec, 'running', false);
      else if (e.type === 'set-cardinality') s.set(spec, 'cardinality', e.value);
      else if (e.type === 'set-option') s.set(spec, e.option === 'stallTimeout' ? 'stall_timeout' : 'grace_period', e.value);
    } catch (err) {
      // The change is made; only its memory across a restart is lost.
      this.deps.log.error(`${task}: the store refused to keep a run-time change (${e.type}); it holds until the daemon stops: ${(err as Error).message}`);
    }
  }

  /** Matches a keep-alive to a task: exact name first, then a unique case-insensitive match. */
  keepalive(task: string, pid: number, status?: string, info?: string, id?: string): 'ok' | 'unknown_task' | 'unknown_pid' {
    let m = this.managers.get(task);
    if (!m) {
      const lower = task.toLowerCase();
      const matches = [...this.managers.values()].filter((x) => x.name.toLowerCase() === lower);
      if (matches.length === 1) m = matches[0];
    }
    if (!m) return 'unknown_task';
    return m.keepalive(pid, status, info, id) ? 'ok' : 'unknown_pid';
  }

  async stopAll(reason: 'stop' | 'shutdown' = 'stop'): Promise<string[]> {
    const stopped = this.running().map((m) => m.name);
    // Dependents first, then what they require (a web app before its database); each round's
    // tasks together.
    const active = new Map(this.active().map((m) => [m.name, m]));
    for (const round of stopRounds(this.specs, active.keys())) await Promise.all(round.map((n) => active.get(n)!.stop(reason)));
    return stopped;
  }

  /**
   * Workers recorded by an earlier daemon that are still alive: adopted into their task when
   * it says `adopt: true`, else stopped. Returns what was done, for the start-up log.
   */
  async recover(): Promise<{ adopted: number; stopped: number }> {
    const records = this.deps.records;
    let adopted = 0;
    const stops: Promise<unknown>[] = [];
    const byTask = new Map<string, WorkerRecord[]>();
    for (const r of records.all()) {
      if (!sameProcess(r.pid, r.startTime)) {
        records.remove(r.pid);
        continue;
      }
      const spec = this.specs.get(r.task);
      if (spec?.adopt) {
        byTask.set(r.task, [...(byTask.get(r.task) ?? []), r]);
        adopted++;
      } else {
        stops.push(stopTreeBatched(workerTree(r), { grace: spec?.gracePeriod ?? 100 }).then(() => records.remove(r.pid)));
      }
    }
    for (const [task, recs] of byTask) this.get(task).adopt(recs);
    await Promise.all(stops);
    return { adopted, stopped: stops.length };
  }

  /** The tasks that run or still have workers (a reload plan's `running`). */
  activeNames(): Set<string> {
    return new Set(this.running().map((m) => m.name));
  }

  /**
   * SIGHUP: a new task set and the plan made of it (reload-plan.ts). Removed tasks stop; changed
   * ones take the fields the file changed and keep what was set at run time elsewhere (a
   * cardinality rescales at once); those the plan restarts are replaced worker by worker, once
   * (a rolling restart); new autostart tasks start, with what they require. Unchanged tasks are
   * not touched.
   */
  async reload(specs: Map<string, TaskSpec>, plan: ReloadPlan): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const [name, m] of this.managers) {
      if (specs.has(name)) continue;
      stops.push(m.stop().then(() => m.close()));
      this.managers.delete(name);
    }
    const restart = new Set(plan.restart.map((r) => r.task));
    for (const [name, spec] of specs) {
      const old = this.specs.get(name);
      if (!old || JSON.stringify(old) === JSON.stringify(spec)) continue;
      const m = this.managers.get(name);
      if (!m) continue;
      m.dispatch({ type: 'reconfigure', spec, previous: old });
      // A task with no live worker yet (waiting, backing off) starts its next ones as redefined.
      if (restart.has(name) && m.view.running && liveWorkers(m.view).length > 0) m.dispatch({ type: 'restart' });
    }
    this.specs = new Map(specs);
    this.deps.settings.sync(this.specs);
    // A waiting task whose `requires` changed may wait for less now.
    for (const name of [...this.gated]) this.regate(name);
    for (const name of plan.start) this.start(name);
    await Promise.all(stops);
  }

  close(): void {
    for (const m of this.managers.values()) m.close();
  }
}
