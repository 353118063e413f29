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
import type { TaskEvent } from './decide.js';
import type { TaskSettings } from './task-settings.js';
import { checkTask } from './preflight.js';
import type { Logger } from '../log/logger.js';
import type { ReloadResult } from '../config/reload-result.js';

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

  constructor(
    specs: Map<string, TaskSpec>,
    private readonly deps: SupervisorDeps,
  ) {
    this.specs = new Map(specs);
    deps.settings.sync(this.specs);
    this.managerDeps = {
      ...deps,
      dispatched: (task, e) => this.remember(task, e),
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

  /** Starts the tasks that run: autostarted ones, unless stopped at run time, and the ones started at run time. */
  autostart(): void {
    for (const spec of this.specs.values()) if (this.deps.settings.value(spec, 'running')) this.get(spec.name).start();
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
    await Promise.all(this.active().map((m) => m.stop(reason)));
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

  /**
   * SIGHUP: new task set. Added autostart tasks start, removed ones stop, changed ones get
   * the fields the file changed (applied to the next spawn; the cardinality at once), and
   * keep what was set at run time elsewhere. Unchanged tasks are not touched.
   */
  async reload(specs: Map<string, TaskSpec>): Promise<ReloadResult> {
    const added: string[] = [];
    const removed: string[] = [];
    const changed: string[] = [];
    const stops: Promise<void>[] = [];
    for (const [name, m] of this.managers) {
      if (!specs.has(name)) {
        removed.push(name);
        stops.push(m.stop().then(() => m.close()));
        this.managers.delete(name);
      }
    }
    for (const name of this.specs.keys()) if (!specs.has(name) && !removed.includes(name)) removed.push(name);
    for (const [name, spec] of specs) {
      const old = this.specs.get(name);
      if (!old) {
        added.push(name);
        continue;
      }
      if (JSON.stringify(old) !== JSON.stringify(spec)) {
        changed.push(name);
        this.managers.get(name)?.dispatch({ type: 'reconfigure', spec, previous: old });
      }
    }
    this.specs = new Map(specs);
    this.deps.settings.sync(this.specs);
    for (const name of added) if (specs.get(name)!.autostart) this.get(name).start();
    await Promise.all(stops);
    return { added, removed, changed };
  }

  close(): void {
    for (const m of this.managers.values()) m.close();
  }
}
