// The embedded store: one SQLite file under state_dir. WAL + synchronous=NORMAL: a commit is
// in the OS before the call returns, so it survives kill -9 of the daemon (not a power cut:
// `syncFull` for that, at a cost in throughput; bl-daemon sets it from BL_SYNC_FULL=1).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;
export const DB_FILE = 'bl.db';

/**
 * What a start says when the store cannot be read: SQLite's verdict on a file that is not a
 * database or is damaged, as one line that names the file and what to do; undefined for
 * any other error.
 */
export function unreadableStoreText(stateDir: string, e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^SQLITE_(NOTADB|CORRUPT)/.test(code)) return undefined;
  const file = path.join(stateDir, DB_FILE);
  return `cannot read the store ${file}: ${(e as Error).message} (${code}); move it aside (mv ${file} ${file}.damaged, with its -wal and -shm files) and start again with an empty store, or restore it from a backup`;
}

export function openDb(stateDir: string, o: { syncFull?: boolean; file?: string } = {}): Db {
  mkdirSync(stateDir, { recursive: true });
  const db = new Database(path.join(stateDir, o.file ?? DB_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${o.syncFull ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
