// A real PostgreSQL server for tests (Debian's postgresql package): initdb into a temp dir, the
// postmaster started as this process's own child (run as the `postgres` user: PostgreSQL
// refuses to run as root) on a private Unix socket in that dir, and with `tcp` on 127.0.0.1 at
// a free port as well; stopped and removed after. No mock: the store tests talk to it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './net.js';
import { waitFor } from './wait.js';

export interface Postgres {
  dir: string;
  port: number;
  /** The socket directory (PGHOST for a Unix-socket connection). */
  socketDir: string;
  /** The superuser the cluster was made with. */
  user: string;
  /** The superuser's password (TCP connections ask for it; the socket trusts). */
  password: string;
  /** A URL to `database` over the socket (`postgres://bl@/db?host=DIR&port=N`). */
  url(database?: string): string;
  /** A URL to `database` over TCP on 127.0.0.1, with the password (only with `tcp`). */
  tcpUrl(database?: string, password?: string): string;
  /** Makes a fresh empty database; its name. Tests each take their own. */
  createDatabase(prefix?: string): string;
  /** Runs SQL through psql over the socket; its output. */
  psql(sql: string, database?: string): string;
  /** Stops the server (fast shutdown) and waits for it to go; `start` brings it back. */
  halt(): Promise<void>;
  /** kill -9 of the postmaster (a crash); `start` recovers from its WAL. */
  crash(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const BIN = (() => {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.length ? path.join(root, versions[0]!, 'bin') : '';
})();

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('the postgres user is missing (install Debian\'s postgresql package)');
  return { uid, gid };
}

let databases = 0;

export interface PostgresOptions {
  /** Listen on 127.0.0.1 at a free port too (tcpUrl). */
  tcp?: boolean;
  /**
   * Keep the server's fsync on (PostgreSQL's own default): a commit waits for its WAL to reach
   * the disk. Off unless asked: the tests do not test the disk; a bench of durability does.
   */
  fsync?: boolean;
}

export async function startPostgres(o: PostgresOptions = {}): Promise<Postgres> {
  if (!BIN) throw new Error('PostgreSQL is not installed (/usr/lib/postgresql/N/bin): apt-get install postgresql');
  const ids = postgresIds();
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-pg-'));
  chownSync(dir, ids.uid, ids.gid);
  const data = path.join(dir, 'data');
  const user = 'bl';
  const password = 'bl-test-secret';
  const asPostgres = { uid: ids.uid, gid: ids.gid, cwd: dir };
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`);
  chownSync(pwfile, ids.uid, ids.gid);
  const init = spawnSync(path.join(BIN, 'initdb'), ['-D', data, '-U', user, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync'], {
    ...asPostgres,
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`initdb failed (exit ${init.status}): ${init.stderr.trim()}`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const start = async () => {
    // fsync off by default: a test cluster's durability is not what is tested (a crash test
    // kills the postmaster, not the OS, and PostgreSQL's WAL recovery works the same).
    const args = ['-D', data, '-k', dir, '-p', String(port), '-c', `listen_addresses=${o.tcp ? '127.0.0.1' : ''}`, '-c', `fsync=${o.fsync ? 'on' : 'off'}`, '-c', 'max_connections=200'];
    const c = spawn(path.join(BIN, 'postgres'), args, { ...asPostgres, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-4000);
    });
    child = c;
    await waitFor(`PostgreSQL to accept connections (${err.trim().split('\n').pop() ?? ''})`, () => {
      if (!running()) throw new Error(`postgres exited: ${err.trim()}`);
      return spawnSync(path.join(BIN, 'pg_isready'), ['-h', dir, '-p', String(port), '-U', user], { stdio: 'ignore' }).status === 0;
    }, { timeout: 30_000, interval: 50 });
  };
  const waitGone = () => waitFor('PostgreSQL to stop', () => !running(), { timeout: 30_000 });
  const halt = async () => {
    if (!running()) return;
    child!.kill('SIGINT'); // fast shutdown
    await waitGone();
  };
  const crash = async () => {
    if (!running()) return;
    child!.kill('SIGKILL');
    await waitGone();
    // Its backends outlive a killed postmaster for a moment and hold the shared memory.
    await waitFor('the killed server\'s backends to go', () => spawnSync('pgrep', ['-f', `postgres.*${dir}`]).status !== 0 || undefined, { timeout: 30_000 }).catch(() => undefined);
  };
  const psql = (sql: string, database = 'postgres') => {
    const r = spawnSync(path.join(BIN, 'psql'), ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', user, '-d', database, '-c', sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const stop = async () => {
    await halt().catch(() => child?.kill('SIGKILL'));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
  return {
    dir,
    port,
    socketDir: dir,
    user,
    password,
    url: (database = 'postgres') => `postgres://${user}@/${database}?host=${encodeURIComponent(dir)}&port=${port}`,
    tcpUrl: (database = 'postgres', pw = password) => {
      if (!o.tcp) throw new Error('this test server listens on its socket only: start it with { tcp: true }');
      return `postgres://${user}:${encodeURIComponent(pw)}@127.0.0.1:${port}/${database}`;
    },
    createDatabase: (prefix = 'bl') => {
      const name = `${prefix}_${process.pid}_${++databases}`;
      psql(`CREATE DATABASE ${name}`);
      return name;
    },
    psql,
    halt,
    crash,
    start,
    stop,
  };
}
