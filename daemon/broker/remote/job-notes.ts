// Notes on a job that are not its own end: a late report from a launcher whose lease had
// expired is kept here (it is recorded, but never makes a second completion), beside the
// job.late_report event, so it can be read after the event buffer has moved on.
import type { Db } from '../../state/db.js';

export interface JobNote {
  at: number;
  text: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS broker_job_notes (
  seq INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS broker_job_notes_job ON broker_job_notes(job_id, seq);
`;

export class JobNotes {
  private readonly memory = new Map<string, JobNote[]>();
  private readonly stmt;

  /** Without a db (a store other than SQLite) the notes live in memory. */
  constructor(db: Db | undefined) {
    if (!db) {
      this.stmt = undefined;
      return;
    }
    db.exec(SCHEMA);
    this.stmt = {
      add: db.prepare(`INSERT INTO broker_job_notes (job_id, at, text) VALUES (?, ?, ?)`),
      list: db.prepare(`SELECT at, text FROM broker_job_notes WHERE job_id = ? ORDER BY seq`),
    };
  }

  add(jobId: string, text: string, at: number): void {
    if (this.stmt) {
      this.stmt.add.run(jobId, at, text);
      return;
    }
    const l = this.memory.get(jobId) ?? [];
    l.push({ at, text });
    this.memory.set(jobId, l);
  }

  list(jobId: string): JobNote[] {
    if (this.stmt) return this.stmt.list.all(jobId) as JobNote[];
    return this.memory.get(jobId) ?? [];
  }
}
