// main made callable: wires the parts of one daemon and returns a handle to stop it.
// Only main.ts reads argv/env and installs signal handlers.
import { setupCgroups, type Cgroups } from '../proc/cgroup/setup.js';
import { limitFields } from '../contract/limits.js';
import http from 'node:http';
import https from 'node:https';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { DaemonConfig } from './config/types.js';
import { EventBus } from './events/bus.js';
import { EventPublisher } from './events/publisher.js';
import { KeepaliveListener } from './keepalive/listener.js';
import { KeepaliveStats } from './keepalive/stats.js';
import { KeepaliveKeys } from './http/keepalive-key.js';
import { DropReporter } from './keepalive/drop-reporter.js';
import { openDb } from './state/db.js';
import { Supervisor } from './supervisor/supervisor.js';
import { WorkerRecords } from './supervisor/worker-records.js';
import { createApp } from './http/app.js';
import type { Services } from './services.js';
import type { HelperChoice } from '../runner/spawn-helpers/programs.js';
import type { Spawner } from '../runner/spawner.js';
import { lockStateDir } from './state/lock.js';
import { createBroker } from './broker/index.js';
import { ProgramLookup } from './broker/submit/command-gate.js';
import type { SubmitPolicy } from './broker/submit/submit-gate.js';
import { Logger } from './log/logger.js';
import { logEvents } from './log/event-log.js';
import { TaskSettings } from './supervisor/task-settings.js';
import { ConfigError, loadConfig, parseConfigText } from './config/load.js';
import { BlError } from '../contract/errors.js';
import { applyReloadable, planReload, type ReloadPlan } from './config/reload-plan.js';
import { findSlurmCommands } from './broker/slurm/slurm-commands.js';
import { hostname, userInfo } from 'node:os';
import { PgLeaseKeeper } from './broker/store/pg-lease-keeper.js';
import { PgSyncStore, type PgSyncStoreOptions } from './broker/store/pg-sync-store.js';
import { daemonId } from './state/daemon-id.js';
import { isPgStore, pgTarget, redact } from './state/pg/pg-target.js';

/** The daemon's log file in the state dir. */
export const LOG_FILE = 'bl-daemon.log';

export interface Daemon {
  url: string;
  port: number;
  keepaliveEndpoint: string;
  eventsEndpoint: string;
  services: Services;
  /**
   * Graceful shutdown (docs/spec.md "Shutdown"); resolves when everything is stopped and
   * closed. `keepJobs`: the built-in launcher's running jobs are left to their keepers.
   */
  shutdown(reason: string, o?: { keepJobs?: boolean }): Promise<void>;
  /** A second CTRL+C: stops skip their grace periods. */
  force(): void;
  /** Applies a new config's tasks and settings (the file already read); returns the plan carried out. */
  reload(config: DaemonConfig, trigger?: string): Promise<ReloadPlan>;
  /**
   * SIGHUP and POST /config/reload: reads the config file again and applies it, saying so in
   * the log. A 409 BlError with no file, a 400 one (the file's error) when it is broken: the
   * running config stays.
   */
  reloadFile(trigger: string): Promise<ReloadPlan>;
  log: Logger;
  /** Resolves when a shutdown has finished (also one asked for over HTTP). */
  finished: Promise<void>;
}

/** What main.ts reads from the environment, and the parts tests inject. */
export interface DaemonOptions {
  /** The daemon's log (main.ts sets its level and format); else one at info to `log` or stderr. */
  logger?: Logger;
  /** Where the default logger's lines go instead of stderr (tests). */
  log?: (line: string) => void;
  /**
   * Reads the config file again for a reload (main.ts applies its flags), or `text` in its place
   * (POST /config/check with a body); else loadConfig(config.file).
   */
  loadConfig?: (text?: string) => DaemonConfig;
  /** Every commit synced to disk (survives a power cut, not only kill -9), at a cost in throughput. */
  syncFull?: boolean;
  /** The environment (main.ts reads it): the PG* variables of `store: "postgres"`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Which spawn helper program starts jobs (default: python3, else Node). */
  helpers?: HelperChoice;
  /** Starts the built-in launcher's jobs instead of spawn helpers (tests). */
  spawner?: Spawner;
  /** The daemon's PATH (main.ts reads it): where allowed_commands looks up a bare program name. */
  searchPath?: string;
}

/**
 * What the config needs of this host beyond the file: Slurm's commands where broker.slurm is
 * set. A ConfigError, as a broken file is: the start (or the reload) does not happen.
 */
export function checkHost(config: DaemonConfig): void {
  if (config.broker.slurm) findSlurmCommands(config.broker.slurm, config.file ?? '(defaults)');
}

/** A task's limit this host cannot enforce stops the start (or the reload), naming the field. */
export function checkLimits(config: DaemonConfig, cgroups: Cgroups): void {
  for (const t of config.tasks.values()) {
    for (const f of limitFields(t.limits)) {
      const why = cgroups.refuse({ [f]: t.limits![f] });
      if (why) throw new ConfigError(`${config.file ?? '(defaults)'}: ${t.source === 'path' ? 'autotasks' : t.source}.${t.name}.${f}: ${why}`);
    }
  }
}

async function openShared(config: DaemonConfig, opts: DaemonOptions, on: Pick<PgSyncStoreOptions, 'onWake' | 'onProblem' | 'onRestarted'>): Promise<PgSyncStore> {
  try {
    return await PgSyncStore.connect({
      target: pgTarget(config.store, opts.env ?? {}, userInfo().username),
      owner: daemonId(config.stateDir),
      leaseMs: config.broker.leaseTtl * 1000,
      ...on,
    });
  } catch (e) {
    throw new StoreOpenError(`cannot open the job store (store: ${redact(config.store)}): ${(e as Error).message}`);
  }
}

function setupCgroupsFor(config: DaemonConfig): Cgroups {
  try {
    return setupCgroups(config.cgroups, config.stateDir);
  } catch (e) {
    throw new ConfigError(`${config.file ?? '(defaults)'}: ${(e as Error).message}`);
  }
}
/** Where a bare program name is looked up when the daemon is given no PATH (POSIX's usual one). */
export const DEFAULT_SEARCH_PATH = '/usr/local/bin:/usr/bin:/bin';

/** The job store named by `store` cannot be used: the start stops with this line. */
export class StoreOpenError extends Error {}

export async function startDaemon(config: DaemonConfig, opts: DaemonOptions = {}): Promise<Daemon> {
  checkHost(config);
  const log = opts.logger ?? new Logger(opts.log ? { write: opts.log } : {});
  mkdirSync(config.stateDir, { recursive: true });
  const unlock = lockStateDir(config.stateDir);
  // Once the state dir is ours: another daemon's log is not ours to append to.
  log.openFile(path.join(config.stateDir, LOG_FILE));
  let cgroups: Cgroups | undefined;
  // The shared job store is opened before anything starts: a server that cannot be used stops
  // the start with the reason and the address tried.
  let shared: PgSyncStore | undefined;
  // Set once the broker exists: a wake-up before then has nothing to dispatch.
  let wakeBroker = () => {};
  try {
    cgroups = setupCgroupsFor(config);
    checkLimits(config, cgroups);
    if (isPgStore(config.store)) {
      shared = await openShared(config, opts, {
        onWake: () => wakeBroker(),
        onProblem: (m) => (m ? log.warn(`PostgreSQL store: ${m}; other daemons' changes are seen at the next lease beat`) : log.info('PostgreSQL store: wake-ups from other daemons again')),
        onRestarted: (why) => log.warn(`PostgreSQL store: ${why}; a new one serves the store`),
      });
    }
  } catch (e) {
    cgroups?.close();
    unlock();
    log.closeFile();
    throw e;
  }
  const held = cgroups;
  const db = openDb(config.stateDir, { syncFull: opts.syncFull ?? false });
  const records = new WorkerRecords(db);
  const events = new EventBus();
  const unlog = logEvents(events, log);
  const forceCtl = new AbortController();
  const keepalives = new KeepaliveStats();
  const keepaliveKeys = KeepaliveKeys.load(config.stateDir);

  const publisher = new EventPublisher();
  const drops = new DropReporter((line) => log.warn(line));
  const listener = new KeepaliveListener({
    maxMessageSize: config.keepalives.maxMessageSize,
    onMessage: (k, frames) => {
      const r = supervisor.keepalive(k.task, k.pid, k.status, k.info);
      keepalives.count(r, k.task);
      publisher.publish(frames);
    },
    onDrop: (reason) => {
      keepalives.drop(reason);
      drops.drop(reason);
    },
    onError: (message) => log.error(message),
  });
  let httpBase = '';
  /** Where other hosts reach the daemon: its host name when it listens on every address. */
  let publicBase = '';
  let kaEndpoint = '';
  const supervisor = new Supervisor(config.tasks, {
    events,
    records,
    settings: new TaskSettings(db),
    log,
    logDir: path.join(config.stateDir, 'logs', 'tasks'),
    endpoints: () => ({ keepalive: kaEndpoint, http: httpBase }),
    keepaliveKey: (task) => keepaliveKeys.key(task),
    force: forceCtl.signal,
    cgroups: held.tree,
  });

  let shuttingDown: Promise<void> | undefined;
  let checkConfig: (text?: string) => ReloadPlan = () => {
    throw new BlError('unavailable', 'the daemon is starting; ask again in a moment');
  };
  let daemon!: Daemon;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  const searchPath = opts.searchPath ?? DEFAULT_SEARCH_PATH;
  const policyOf = (c: DaemonConfig): SubmitPolicy => ({ commands: c.allowedCommands, allowedEnv: c.allowedEnv, followRedirects: c.followRedirects, searchPath });
  /** Entries of allowed_commands that name nothing now: each allows nothing until it does. */
  const checkAllowList = (c: DaemonConfig, trigger = '') => {
    if (!c.allowedCommands) return;
    const lookup = new ProgramLookup(c.allowedCommands, searchPath);
    lookup.resolved();
    for (const p of lookup.problems) log.warn(`${trigger}allowed_commands: ${p}; the entry allows nothing until it names something`);
  };
  const broker = createBroker({
    db,
    ...(shared ? { store: shared } : {}),
    settings: config.broker,
    events,
    stateDir: config.stateDir,
    policy: policyOf(config),
    ...(opts.spawner ? { spawner: opts.spawner } : {}),
    ...(opts.helpers ? { helpers: opts.helpers } : {}),
    cgroups: held.tree,
    // Every commit synced: the submits of one turn share one (one fsync for all).
    groupCommits: opts.syncFull ?? false,
    slurm: { daemonUrl: () => publicBase, caFile: config.tls?.ca, log, where: config.file ?? '(defaults)' },
  });
  const services: Services = {
    config,
    events,
    supervisor,
    keepalives,
    keepaliveKeys,
    keepaliveListener: listener,
    broker,
    startedAt: Date.now(),
    requestShutdown: (reason, o) => void daemon.shutdown(reason, o),
    log,
    reloadConfig: () => daemon.reloadFile('POST /config/reload'),
    checkConfig: (text) => checkConfig(text),
    cgroups: held,
  };
  const app = createApp(services);
  const server = config.tls
    ? https.createServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, app.callback())
    : http.createServer(app.callback());
  server.keepAliveTimeout = 5000;

  try {
    const eventsEndpoint = await publisher.bind(config.keepalives.host, config.keepalives.internalPort);
    // The bus id goes in `event_id`: `id` is the job's own in job.* events.
    events.subscribe((e) => publisher.publish([e.topic, JSON.stringify({ ...e.data, event_id: e.id, time: new Date(e.time).toISOString() })]));
    kaEndpoint = await listener.bind(config.keepalives.host, config.keepalives.inboundPort);
    // Workers reach the listener on loopback when it listens on every interface.
    kaEndpoint = kaEndpoint.replace('tcp://0.0.0.0:', 'tcp://127.0.0.1:');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.bind, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => log.error(`HTTP server error: ${e.message}`));
    const port = (server.address() as AddressInfo).port;
    const host = config.bind === '0.0.0.0' || config.bind === '::' ? '127.0.0.1' : config.bind.includes(':') ? `[${config.bind}]` : config.bind;
    httpBase = `${config.tls ? 'https' : 'http'}://${host}:${port}`;
    publicBase = config.bind === '0.0.0.0' || config.bind === '::' ? `${config.tls ? 'https' : 'http'}://${hostname()}:${port}` : httpBase;

    const rec = await supervisor.recover();
    if (rec.adopted || rec.stopped) log.info(`workers of an earlier daemon: ${rec.adopted} adopted, ${rec.stopped} stopped`);
    // Before the start: an autostarted task's failed spawn follows the line that says why.
    const where = config.file ? `the config file's folder ${path.dirname(config.file)}` : `the daemon's working directory ${process.cwd()}`;
    const checkTasks = () => {
      for (const [task, problem] of supervisor.checkTasks()) log.warn(`${task}: ${problem}; relative paths resolve against ${where}`, { task, problem });
    };
    checkTasks();
    checkAllowList(config);
    supervisor.autostart();
    broker.start();
    wakeBroker = () => broker.wake();
    const leases = shared
      ? new PgLeaseKeeper({
          store: shared,
          events,
          leaseMs: config.broker.leaseTtl * 1000,
          host: hostname(),
          url: () => publicBase || null,
          wake: () => broker.wake(),
          renewed: () => broker.dropTakenOver(),
          onProblem: (m) => (m ? log.warn(`PostgreSQL store: ${m}`) : log.info('PostgreSQL store: reachable again; leases renewed')),
        })
      : undefined;
    leases?.start();

    // `config` is the config in force: a reload takes into it what it applies (applyReloadable).
    const apply = async (c: DaemonConfig, trigger = 'reload'): Promise<ReloadPlan> => {
      const plan = planReload(config, c, supervisor.activeNames());
      broker.reconfigure(c.broker);
      broker.setPolicy(policyOf(c));
      await supervisor.reload(c.tasks, plan);
      applyReloadable(config, c);
      // The log line comes from the event (log/event-text.ts).
      events.publish('config.reloaded', { trigger, ...plan });
      return plan;
    };
    const load =
      opts.loadConfig ?? ((text?: string) => (text === undefined ? loadConfig(config.file) : parseConfigText(text, config.file ?? path.resolve('bl.json'))));
    /** The config file read again and checked; a 400 naming the field when broken (the running config stays). */
    const readNew = (trigger: string): DaemonConfig => {
      let c: DaemonConfig;
      try {
        c = load();
        checkHost(c);
        checkLimits(c, held);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        log.warn(`${trigger}: config not reloaded, the running one stays: ${e.message}`);
        throw new BlError('bad_value', `config not reloaded, the running one stays: ${e.message}`);
      }
      return c;
    };
    const noFile = 'the daemon runs with no config file (it was started without -conf=FILE): there is nothing to reload';
    checkConfig = (text?: string): ReloadPlan => {
      if (text === undefined && !config.file) throw new BlError('conflict', `${noFile}; send a config to check in the body`);
      let c: DaemonConfig;
      try {
        c = load(text);
        checkHost(c);
        checkLimits(c, held);
      } catch (e) {
        if (e instanceof ConfigError) throw new BlError('bad_value', `config not valid: ${e.message}`);
        throw e;
      }
      return planReload(config, c, supervisor.activeNames());
    };
    let reloads: Promise<unknown> = Promise.resolve();
    const reloadFile = (trigger: string): Promise<ReloadPlan> => {
      const run = async () => {
        if (shuttingDown) {
          log.warn(`${trigger}: the daemon is shutting down; the config is not reloaded`);
          throw new BlError('conflict', 'the daemon is shutting down; the config is not reloaded');
        }
        if (!config.file) {
          log.warn(`${trigger}: no config file to reload (the daemon was started without -conf=FILE)`);
          throw new BlError('conflict', noFile);
        }
        const c = readNew(trigger);
        for (const w of c.warnings) log.warn(`${trigger}: ${w}`);
        checkAllowList(c, `${trigger}: `);
        const plan = await apply(c, trigger);
        checkTasks();
        return plan;
      };
      // One at a time: each reads the file as it is when its turn comes.
      const p = reloads.then(run, run);
      reloads = p.catch(() => {});
      return p;
    };

    daemon = {
      url: httpBase,
      port,
      keepaliveEndpoint: kaEndpoint,
      eventsEndpoint,
      services,
      finished,
      force: () => forceCtl.abort(),
      reload: apply,
      reloadFile,
      log,
      shutdown(reason: string, o: { keepJobs?: boolean } = {}) {
        if (shuttingDown) return shuttingDown;
        const keepJobs = o.keepJobs === true;
        shuttingDown = (async () => {
          // The log says it, from the event.
          events.publish('daemon.stopping', { reason, keep_jobs: keepJobs });
          // broker: drain here, beside the supervisor's stop
          await Promise.all([broker.drain(config.forceTimeout, forceCtl.signal, keepJobs), supervisor.stopAll('shutdown')]);
          supervisor.close();
          leases?.stop();
          await shared?.close();
          held.close();
          await listener.close();
          drops.close();
          publisher.close();
          server.close();
          server.closeAllConnections();
          db.close();
          log.info('stopped');
          unlog();
          log.closeFile();
          unlock();
          resolveFinished();
        })();
        return shuttingDown;
      },
    };
    writeFileSync(
      path.join(config.stateDir, 'daemon.json'),
      JSON.stringify({ pid: process.pid, url: httpBase, port, keepalive: kaEndpoint, events: eventsEndpoint }) + '\n',
    );
    return daemon;
  } catch (e) {
    await listener.close().catch(() => {});
    publisher.close();
    server.close();
    db.close();
    await shared?.close();
    held.close();
    unlog();
    log.closeFile();
    unlock();
    throw e;
  }
}
