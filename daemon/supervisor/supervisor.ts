// All task managers: known tasks come from the config (a `path` of /bin makes a thousand of
// them), so managers are made on first use. Also finds the workers of a crashed daemon.
import type { TaskSpec } from '../config/types.js';
import { BlError } from '../../contract/errors.js';
import { didYouMean } from '../../contract/did-you-mean.js';
import { TaskManager, workerTree, type ManagerDeps } from './task-manager.js';
import { WorkerRecords, type WorkerRecord } from './worker-records.js';
import { sameProcess } from '../../proc/stat.js';
import { stopTree } from '../../proc/stop-tree.js';

export class Supervisor {
  private specs: Map<string, TaskSpec>;
  private readonly managers = new Map<string, TaskManager>();

  constructor(
    specs: Map<string, TaskSpec>,
    private readonly deps: ManagerDeps & { records: WorkerRecords },
  ) {
    this.specs = new Map(specs);
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
    m = new TaskManager(spec, this.deps);
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

  autostart(): void {
    for (const spec of this.specs.values()) if (spec.autostart) this.get(spec.name).start();
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
        stops.push(stopTree({ ...workerTree(r), grace: spec?.gracePeriod ?? 100 }).then(() => records.remove(r.pid)));
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
  async reload(specs: Map<string, TaskSpec>): Promise<{ added: string[]; removed: string[]; changed: string[] }> {
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
    for (const name of added) if (specs.get(name)!.autostart) this.get(name).start();
    await Promise.all(stops);
    return { added, removed, changed };
  }

  close(): void {
    for (const m of this.managers.values()) m.close();
  }
}
