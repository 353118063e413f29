// A task's run-time changes (started or stopped, cardinality, stall_timeout, grace_period) kept
// in the store, so that a daemon started after a crash or a restart finds them, with the
// broker's rule (broker/settings.ts): a value set at run time survives unless the config
// file's value for it changed since; then the file wins. Each row remembers the file's value
// it was set under. Only values that differ from the file have a row; a task the config no
// longer has is forgotten.
import type { Db } from '../state/db.js';
import type { TaskSpec } from '../config/types.js';

export type TaskField = 'running' | 'cardinality' | 'stall_timeout' | 'grace_period';
type Value = number | boolean;

interface Row {
  value: string;
  /** The file's value when this one was set. */
  config: string;
}

/** The file's value of each field: `running` is the file's `autostart`. */
export function fileValue(spec: TaskSpec, field: TaskField): Value {
  switch (field) {
    case 'running':
      return spec.autostart;
    case 'cardinality':
      return spec.cardinality;
    case 'stall_timeout':
      return spec.stallTimeout;
    case 'grace_period':
      return spec.gracePeriod;
  }
}

/** The rule, pure: the kept value while the file still says what it said when it was set. */
export function keptValue(row: Row | undefined, file: Value): { value: Value; stale: boolean } {
  if (!row) return { value: file, stale: false };
  if (row.config !== JSON.stringify(file)) return { value: file, stale: true };
  return { value: JSON.parse(row.value) as Value, stale: false };
}

export class TaskSettings {
  /** task → field → row; read once, written through. */
  private readonly rows = new Map<string, Map<TaskField, Row>>();
  private readonly upsert;
  private readonly del;
  private readonly delTask;

  constructor(db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS task_settings (
      task TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, config TEXT NOT NULL,
      PRIMARY KEY (task, name))`);
    this.upsert = db.prepare(
      'INSERT INTO task_settings (task, name, value, config) VALUES (?, ?, ?, ?) ON CONFLICT(task, name) DO UPDATE SET value = excluded.value, config = excluded.config',
    );
    this.del = db.prepare('DELETE FROM task_settings WHERE task = ? AND name = ?');
    this.delTask = db.prepare('DELETE FROM task_settings WHERE task = ?');
    const all = db.prepare('SELECT task, name, value, config FROM task_settings').all() as { task: string; name: TaskField; value: string; config: string }[];
    for (const r of all) this.rowsOf(r.task, true)!.set(r.name, { value: r.value, config: r.config });
  }

  /** The value a task starts with: the run-time one if the file has not changed it since. */
  value(spec: TaskSpec, field: TaskField): Value {
    const file = fileValue(spec, field);
    const k = keptValue(this.rowsOf(spec.name)?.get(field), file);
    if (k.stale) this.drop(spec.name, field);
    return k.value;
  }

  /** The file's spec with the run-time values kept for it. */
  apply(spec: TaskSpec): TaskSpec {
    if (!this.rows.has(spec.name)) return spec;
    return {
      ...spec,
      cardinality: Math.min(this.value(spec, 'cardinality') as number, spec.maxCardinality),
      stallTimeout: this.value(spec, 'stall_timeout') as number,
      gracePeriod: this.value(spec, 'grace_period') as number,
    };
  }

  /** A change made at run time to a task whose file spec is `spec`. */
  set(spec: TaskSpec, field: TaskField, value: Value): void {
    const file = fileValue(spec, field);
    if (value === file) {
      this.drop(spec.name, field);
      return;
    }
    const row = { value: JSON.stringify(value), config: JSON.stringify(file) };
    const have = this.rowsOf(spec.name)?.get(field);
    if (have && have.value === row.value && have.config === row.config) return;
    this.upsert.run(spec.name, field, row.value, row.config);
    this.rowsOf(spec.name, true)!.set(field, row);
  }

  /**
   * A config read (at start, at a reload): tasks it no longer has are forgotten, and a value
   * whose field the file changed since it was set gives way to the file's.
   */
  sync(specs: ReadonlyMap<string, TaskSpec>): void {
    for (const [task, fields] of [...this.rows]) {
      const spec = specs.get(task);
      if (!spec) {
        this.delTask.run(task);
        this.rows.delete(task);
        continue;
      }
      for (const field of [...fields.keys()]) this.value(spec, field);
    }
  }

  private drop(task: string, field: TaskField): void {
    const fields = this.rows.get(task);
    if (!fields?.has(field)) return;
    this.del.run(task, field);
    fields.delete(field);
    if (fields.size === 0) this.rows.delete(task);
  }

  private rowsOf(task: string, create = false): Map<TaskField, Row> | undefined {
    let m = this.rows.get(task);
    if (!m && create) this.rows.set(task, (m = new Map()));
    return m;
  }
}
