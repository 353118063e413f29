// Which PostgreSQL server a `store` setting names, and how to show it in a message without its
// password. Pure: the environment comes in as a value (only main.ts reads process.env).
//
// `store: "postgres"` takes the server from the standard libpq variables (PGHOST, PGPORT,
// PGUSER, PGPASSWORD, PGDATABASE); a `postgres://` or `postgresql://` URL names it, and the
// same variables fill what the URL leaves out, as psql does.
import { parse } from 'pg-connection-string';

export interface PgTarget {
  /** What node-postgres connects with. */
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  ssl: boolean | { rejectUnauthorized: boolean } | undefined;
  /** The address as messages show it: `postgres://bl@db1:5432/jobs`, never the password. */
  shown: string;
}

export class PgTargetError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

/** True when a `store` value selects PostgreSQL rather than the embedded SQLite file. */
export function isPgStore(store: string): boolean {
  return store === 'postgres' || /^postgres(ql)?:\/\//i.test(store);
}

export function pgTarget(store: string, env: Env, osUser: string): PgTarget {
  let fromUrl: ReturnType<typeof parse> = { host: null, database: undefined };
  let urlSslMode: string | undefined;
  if (store !== 'postgres') {
    if (!isPgStore(store)) {
      throw new PgTargetError(`expected store to be "sqlite", "postgres" (the PG* environment) or a postgres:// URL, found "${redact(store)}"`);
    }
    // sslmode is read here, with libpq's meaning; the parser would read it its own way.
    const q = store.indexOf('?');
    const params = new URLSearchParams(q < 0 ? '' : store.slice(q + 1));
    urlSslMode = params.get('sslmode') ?? undefined;
    params.delete('sslmode');
    const rest = params.toString();
    try {
      fromUrl = parse((q < 0 ? store : store.slice(0, q)) + (rest ? `?${rest}` : ''));
    } catch (e) {
      throw new PgTargetError(`store: "${redact(store)}" is not a valid postgres:// URL (${(e as Error).message})`);
    }
  }
  const host = fromUrl.host || env.PGHOST || 'localhost';
  const portText = fromUrl.port || env.PGPORT || '5432';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PgTargetError(`store: expected a port 1–65535 in ${fromUrl.port ? 'the URL' : 'PGPORT'}, found "${portText}"`);
  }
  const user = fromUrl.user || env.PGUSER || osUser;
  const database = fromUrl.database || env.PGDATABASE || user;
  const password = fromUrl.password || env.PGPASSWORD;
  const mode = urlSslMode ?? env.PGSSLMODE;
  const ssl = sslFor(mode);
  const hostShown = host.startsWith('/') ? `[socket ${host}]` : host.includes(':') ? `[${host}]` : host;
  return { host, port, user, password, database, ssl, shown: `postgres://${user}@${hostShown}:${port}/${database}` };
}

function sslFor(mode: string | undefined): PgTarget['ssl'] {
  switch (mode) {
    case undefined:
    case '':
    case 'disable':
    case 'allow':
    case 'prefer':
      // libpq's `prefer` tries TLS first; node-postgres cannot fall back, so it connects plain.
      return undefined;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return true;
    default:
      throw new PgTargetError(`store: expected sslmode to be disable, prefer, require, verify-ca or verify-full, found "${mode}"`);
  }
}

/** A store value with any password in it replaced, for messages and logs. */
export function redact(store: string): string {
  return store.replace(/^([a-z]+:\/\/[^:/@?#]*):[^@/?#]*@/i, '$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}
