// Brings a PostgreSQL database to this bl's schema. Daemons starting together on one database
// take turns (a transaction-scoped advisory lock), so each step runs once; every step and its
// record in bl_schema commit together, so a failed step leaves the database as it was.
import type pg from 'pg';
import { LATEST_VERSION, MIGRATIONS, type Migration } from './pg-migrations.js';
import { holdConnection } from './pg-open.js';

export class SchemaNewerError extends Error {}

/** The lock every bl daemon takes to migrate: one number, "bl" in ASCII, shifted. */
const MIGRATE_LOCK = 0x626c_0001;

export interface MigrateResult {
  from: number;
  to: number;
  applied: number[];
}

/** The steps to apply to a database at `current` (pure); throws when it is past `latest`. */
export function pendingSteps(current: number, steps: readonly Migration[], latest: number, where: string): Migration[] {
  if (current > latest) {
    throw new SchemaNewerError(
      `the database ${where} holds bl schema version ${current}, newer than this bl knows (${latest}): upgrade bl on this host; the database was left as it is`,
    );
  }
  return steps.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
}

export async function migrate(pool: pg.Pool, where: string, steps: readonly Migration[] = MIGRATIONS, latest = LATEST_VERSION): Promise<MigrateResult> {
  const c = await holdConnection(pool);
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS bl_schema (version INTEGER PRIMARY KEY, what TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const r = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM bl_schema');
    const from = r.rows[0]?.v ?? 0;
    const todo = pendingSteps(from, steps, latest, where);
    for (const m of todo) {
      await c.query(m.sql);
      await c.query('INSERT INTO bl_schema (version, what) VALUES ($1, $2)', [m.version, m.what]);
    }
    await c.query('COMMIT');
    return { from, to: todo.length ? todo[todo.length - 1]!.version : from, applied: todo.map((m) => m.version) };
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}
