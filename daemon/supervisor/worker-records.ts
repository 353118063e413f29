// The pids of live workers, kept in the store so that a daemon started after a crash finds
// the workers of the one before (docs/spec.md "Supervision": stop them, or adopt them).
import type { Db } from '../state/db.js';

export interface WorkerRecord {
  pid: number;
  task: string;
  pgid: number;
  startTime: number;
  startedAt: number;
  marker: string;
}

export class WorkerRecords {
  private readonly insert;
  private readonly del;
  private readonly select;
  constructor(db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS workers (
      pid INTEGER PRIMARY KEY, task TEXT NOT NULL, pgid INTEGER NOT NULL,
      start_time INTEGER NOT NULL, started_at INTEGER NOT NULL, marker TEXT NOT NULL)`);
    this.insert = db.prepare('INSERT OR REPLACE INTO workers VALUES (@pid, @task, @pgid, @startTime, @startedAt, @marker)');
    this.del = db.prepare('DELETE FROM workers WHERE pid = ?');
    this.select = db.prepare('SELECT pid, task, pgid, start_time AS startTime, started_at AS startedAt, marker FROM workers');
  }
  add(r: WorkerRecord): void {
    this.insert.run(r);
  }
  remove(pid: number): void {
    this.del.run(pid);
  }
  all(): WorkerRecord[] {
    return this.select.all() as WorkerRecord[];
  }
}
