// The allocations the daemon submitted, in its SQLite file: a daemon that restarts (or was
// killed) finds the ones still alive, their launchers' token hashes and what they ran, and
// polls Slurm for them again. Ended ones are kept for the record, the newest KEEP_ENDED.
import type { Db } from '../../state/db.js';

export interface AllocRecord {
  id: string;
  state: 'pending' | 'running' | 'ending' | 'ended';
  node: string | null;
  slots: number;
  submittedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  endAt: number | null;
  jobsRun: number;
  everConnected: boolean;
  /** bl asked Slurm to cancel it (DELETE, shutdown): its end is not a failure. */
  cancelledByBl: boolean;
  reason: string | null;
  tokenHash: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS slurm_allocations (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  node TEXT,
  slots INTEGER NOT NULL,
  submitted_at INTEGER NOT NULL,
  started_at INTEGER, ended_at INTEGER, end_at INTEGER,
  jobs_run INTEGER NOT NULL,
  ever_connected INTEGER NOT NULL,
  cancelled_by_bl INTEGER NOT NULL,
  reason TEXT,
  token_hash TEXT NOT NULL
);
`;

/** Ended allocations kept (the list shows the newest of them). */
export const KEEP_ENDED = 50;

type Row = Record<string, unknown>;

const toRecord = (r: Row): AllocRecord => ({
  id: r.id as string,
  state: r.state as AllocRecord['state'],
  node: (r.node as string | null) ?? null,
  slots: r.slots as number,
  submittedAt: r.submitted_at as number,
  startedAt: (r.started_at as number | null) ?? null,
  endedAt: (r.ended_at as number | null) ?? null,
  endAt: (r.end_at as number | null) ?? null,
  jobsRun: r.jobs_run as number,
  everConnected: r.ever_connected === 1,
  cancelledByBl: r.cancelled_by_bl === 1,
  reason: (r.reason as string | null) ?? null,
  tokenHash: r.token_hash as string,
});

export class AllocStore {
  private readonly put;
  private readonly all;
  private readonly prune;

  constructor(db: Db) {
    db.exec(SCHEMA);
    this.put = db.prepare(`INSERT OR REPLACE INTO slurm_allocations
      (id, state, node, slots, submitted_at, started_at, ended_at, end_at, jobs_run, ever_connected, cancelled_by_bl, reason, token_hash)
      VALUES (@id, @state, @node, @slots, @submittedAt, @startedAt, @endedAt, @endAt, @jobsRun, @everConnected, @cancelledByBl, @reason, @tokenHash)`);
    this.all = db.prepare(`SELECT * FROM slurm_allocations WHERE state != 'ended'
      UNION ALL SELECT * FROM (SELECT * FROM slurm_allocations WHERE state = 'ended' ORDER BY ended_at DESC LIMIT ${KEEP_ENDED})`);
    this.prune = db.prepare(`DELETE FROM slurm_allocations WHERE state = 'ended' AND id NOT IN
      (SELECT id FROM slurm_allocations WHERE state = 'ended' ORDER BY ended_at DESC LIMIT ${KEEP_ENDED})`);
  }

  save(a: AllocRecord): void {
    this.put.run({ ...a, everConnected: a.everConnected ? 1 : 0, cancelledByBl: a.cancelledByBl ? 1 : 0 });
    if (a.state === 'ended') this.prune.run();
  }

  /** The alive ones and the newest ended ones. */
  load(): AllocRecord[] {
    return (this.all.all() as Row[]).map(toRecord);
  }
}
