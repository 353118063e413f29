// The embedded store: one SQLite file under state_dir. WAL + synchronous=NORMAL: a commit is
// in the OS before the call returns, so it survives kill -9 of the daemon (not a power cut:
// `syncFull` for that, at a cost in throughput; bl-daemon sets it from BL_SYNC_FULL=1).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

export function openDb(stateDir: string, o: { syncFull?: boolean; file?: string } = {}): Db {
  mkdirSync(stateDir, { recursive: true });
  const db = new Database(path.join(stateDir, o.file ?? 'bl.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${o.syncFull ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
