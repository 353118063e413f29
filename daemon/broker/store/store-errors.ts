// SQLite errors that mean "the store cannot take writes now" (read-only file, full disk,
// I/O error, locked): on a submit they become a 503 with a message; anything else stays a bug.
import { BlError } from '../../../contract/errors.js';

// PG_UNAVAILABLE: the PostgreSQL store cannot reach its server (pg-store-worker.ts).
const UNAVAILABLE = /^(SQLITE_(READONLY|FULL|IOERR|CANTOPEN|BUSY|LOCKED|CORRUPT|NOTADB|PROTOCOL)|PG_UNAVAILABLE|WORKER_NO_ANSWER|WORKER_DIED)/;

export function storeUnavailable(e: unknown, consequence: string): BlError | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !UNAVAILABLE.test(code)) return undefined;
  return new BlError('unavailable', `the job store cannot take writes now (${code}: ${(e as Error).message}); ${consequence}; running jobs go on`);
}
