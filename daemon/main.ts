#!/usr/bin/env -S node --max-semi-space-size=1
// bl-daemon: reads argv, loads the config, starts the daemon, handles signals.
// The flag above (also in `npm start`): V8's young generation grows to 16 MB semi-spaces
// while the modules load and stays there; a long-lived daemon that mostly waits is ~5 MiB
// smaller with 1 MB ones, at no cost measured in bench/ (broker, keep-alive floods).
import { userInfo } from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags, UsageError } from '../contract/flags.js';
import { loadConfig, parseConfigText, ConfigError } from './config/load.js';
import { startDaemon, StoreOpenError, LOG_FILE, type Daemon } from './run.js';
import { isPgStore, pgTarget } from './state/pg/pg-target.js';
import { runCheck } from './check.js';
import { StateLockError } from './state/lock.js';
import { unreadableStoreText } from './state/db.js';
import { Logger } from './log/logger.js';
import { isLevel, LEVELS } from './log/level.js';

const USAGE = `usage: bl-daemon [-conf=FILE] [--port N] [--state-dir DIR] [--log-level LEVEL] [--log-json]
       bl-daemon --check [-conf=FILE] [-host=HOST [--token T]]

  -conf, --config FILE   config file (JSON, workerpoolmanager format + bl extensions)
  --port N               HTTP port, overrides the config (0 = any free port)
  --state-dir DIR        where the store and logs live, overrides the config
  --log-level LEVEL      debug, info (default), warn or error: the least severe lines written
  --log-json             log lines as JSON objects (time, level, msg, event and its fields)
  --check                validate the config and exit (0 valid, 2 not, naming the field): print
                         the tasks it defines; with -host, what a SIGHUP of that daemon would
                         do with it (tasks started, stopped, restarted and why; settings)
  -host, --host HOST     the daemon --check asks (HOST[:PORT] or a URL); without -conf, its own file
  --token T              its token (else BL_TOKEN)
  -h, --help             this help
  --version              the version

The log goes to stderr and to STATE_DIR/${LOG_FILE} (kept under 4 MB, one older file .1).

Signals: SIGINT/SIGTERM shut down gracefully (a second SIGINT forces), SIGHUP reloads the config
(as POST /config/reload does).

Environment: BL_SPAWNER=python|node picks the program that forks jobs (default: python3 when it
runs here, else Node); BL_SYNC_FULL=1 syncs every commit to disk (survives a power cut, slower).`;

function version(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const p of [path.join(here, '../package.json'), path.join(here, '../../package.json')]) {
    try {
      return JSON.parse(readFileSync(p, 'utf8')).version as string;
    } catch {
      // try the next
    }
  }
  return 'unknown';
}

async function main(): Promise<number> {
  let flags;
  try {
    flags = parseFlags(
      process.argv.slice(2),
      {
        conf: { type: 'string' },
        config: { type: 'string' },
        port: { type: 'string' },
        'state-dir': { type: 'string' },
        'log-level': { type: 'string' },
        'log-json': { type: 'boolean' },
        check: { type: 'boolean' },
        host: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
      false,
    );
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`bl-daemon: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  const v = flags.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (v.version) {
    console.log(`bl-daemon ${version()}`);
    return 0;
  }
  const level = (v['log-level'] as string | undefined) ?? 'info';
  if (!isLevel(level)) {
    console.error(`bl-daemon: expected --log-level to be one of ${LEVELS.join(', ')}, found "${level}"\n\n${USAGE}`);
    return 2;
  }
  const log = new Logger({ level, json: v['log-json'] === true });
  // A closed terminal must not take the daemon down: the log file still gets the lines.
  process.stderr.on('error', () => {});

  const file = (v.conf ?? v.config) as string | undefined;
  // `text`: a config sent to POST /config/check, read as if it were the file.
  const load = (text?: string) => {
    const o = { stateHome: process.env.XDG_STATE_HOME };
    const c = text === undefined ? loadConfig(file, o) : parseConfigText(text, path.resolve(file ?? 'bl.json'), o);
    if (v.port !== undefined) {
      const p = Number(v.port);
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new ConfigError(`--port: expected a port number 0–65535, found "${v.port}"`);
      c.port = p;
    }
    if (v['state-dir']) c.stateDir = path.resolve(v['state-dir'] as string);
    return c;
  };

  if (v.check) {
    return runCheck({
      load: file === undefined ? undefined : load,
      file,
      host: v.host as string | undefined,
      token: (v.token as string | undefined) ?? process.env.BL_TOKEN,
      out: (t) => console.log(t),
      err: (t) => console.error(t),
    });
  }
  if (v.host !== undefined || v.token !== undefined) {
    console.error(`bl-daemon: -host and --token go with --check\n\n${USAGE}`);
    return 2;
  }

  let config;
  try {
    config = load();
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error(`config error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  for (const w of config.warnings) log.warn(w);

  // Nothing a request or a worker does may take the daemon down: log and go on.
  const kept = (what: string) => (e: unknown) =>
    log.error(`${what} (kept running): ${e instanceof Error ? e.message : String(e)}`, e instanceof Error ? { stack: e.stack } : {});
  process.on('uncaughtException', kept('uncaught exception'));
  process.on('unhandledRejection', kept('unhandled rejection'));

  // Signals are handled from before the start: one that comes while starting is kept and
  // acted on once the daemon is up (its workers must be stopped like any others).
  let daemon: Daemon | undefined;
  let stopWhenStarted: string | undefined;
  let signals = 0;
  const onStop = (sig: string) => {
    signals++;
    if (signals === 1) {
      log.info(`${sig}: stopping workers and jobs gracefully (${sig === 'SIGINT' ? 'CTRL+C again' : 'SIGINT'} to force)`);
      if (daemon) void daemon.shutdown(sig);
      else stopWhenStarted = sig;
    } else {
      log.warn(`${sig} again: forcing (SIGKILL to every worker and job)`);
      daemon?.force();
    }
  };
  process.on('SIGINT', () => onStop('SIGINT'));
  process.on('SIGTERM', () => onStop('SIGTERM'));
  process.on('SIGHUP', () => {
    if (!daemon) {
      log.info('SIGHUP while starting: the config just read is the one in force');
      return;
    }
    // Said in the log either way (reloaded, or why not).
    daemon.reloadFile('SIGHUP').catch(() => {});
  });

  const spawner = process.env.BL_SPAWNER || undefined;
  if (spawner !== undefined && spawner !== 'python' && spawner !== 'node') {
    log.error(`expected BL_SPAWNER to be "python" or "node", found "${spawner}"`);
    return 2;
  }
  try {
    daemon = await startDaemon(config, {
      logger: log,
      loadConfig: load,
      syncFull: process.env.BL_SYNC_FULL === '1',
      env: process.env,
      ...(process.env.PATH !== undefined ? { searchPath: process.env.PATH } : {}),
      ...(spawner ? { helpers: spawner } : {}),
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error(`config error: ${e.message}`);
      return 2;
    }
    if (e instanceof StoreOpenError) {
      log.error(e.message);
      return 1;
    }
    if (e instanceof StateLockError) {
      log.error(e.message);
      return 1;
    }
    const unreadable = unreadableStoreText(config.stateDir, e);
    if (unreadable) {
      log.error(unreadable);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE' || /Address already in use/i.test(err.message)) {
      log.error(`cannot listen: ${err.message} (is another daemon running? set \`port\` / \`keepalives\` ports in the config)`);
      return 1;
    }
    throw e;
  }
  const known = config.tasks.size;
  const started = daemon.services.supervisor.running().length;
  console.log(
    `bl-daemon ready ${JSON.stringify({ pid: process.pid, url: daemon.url, port: daemon.port, keepalive: daemon.keepaliveEndpoint, events: daemon.eventsEndpoint, stateDir: config.stateDir })}`,
  );
  log.info(
    `listening on ${daemon.url} (keep-alives ${daemon.keepaliveEndpoint}, events ${daemon.eventsEndpoint}); ${known} task${known === 1 ? '' : 's'} known, ${started} started; state in ${config.stateDir}, log in ${path.join(config.stateDir, LOG_FILE)}; ${isPgStore(config.store) ? `jobs in PostgreSQL at ${pgTarget(config.store, process.env, userInfo().username).shown}, shared by every daemon naming it` : 'jobs in the state dir'}; workers and jobs held by ${daemon.services.cgroups.text()}`,
  );

  if (stopWhenStarted) void daemon.shutdown(stopWhenStarted);
  await daemon.finished;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error('bl-daemon: fatal:', e);
    process.exit(1);
  },
);
