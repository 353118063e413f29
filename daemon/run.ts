// main made callable: wires the parts of one daemon and returns a handle to stop it.
// Only main.ts reads argv/env and installs signal handlers.
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
import { openDb } from './state/db.js';
import { Supervisor } from './supervisor/supervisor.js';
import { WorkerRecords } from './supervisor/worker-records.js';
import { createApp } from './http/app.js';
import type { Services } from './services.js';
import type { HelperChoice } from '../runner/spawn-helpers/programs.js';
import type { Spawner } from '../runner/spawner.js';
import { lockStateDir } from './state/lock.js';
import { createBroker } from './broker/index.js';

export interface Daemon {
  url: string;
  port: number;
  keepaliveEndpoint: string;
  eventsEndpoint: string;
  services: Services;
  /** Graceful shutdown (SPEC "Shutdown"); resolves when everything is stopped and closed. */
  shutdown(reason: string): Promise<void>;
  /** A second CTRL+C: stops skip their grace periods. */
  force(): void;
  /** SIGHUP: apply a new config's tasks. */
  reload(config: DaemonConfig): Promise<{ added: string[]; removed: string[]; changed: string[] }>;
  /** Resolves when a shutdown has finished (also one asked for over HTTP). */
  finished: Promise<void>;
}

/** What main.ts reads from the environment, and the parts tests inject. */
export interface DaemonOptions {
  log?: (line: string) => void;
  /** Every commit synced to disk (survives a power cut, not only kill -9), at a cost in throughput. */
  syncFull?: boolean;
  /** Which spawn helper program starts jobs (default: python3, else Node). */
  helpers?: HelperChoice;
  /** Starts the built-in launcher's jobs instead of spawn helpers (tests). */
  spawner?: Spawner;
}

export async function startDaemon(config: DaemonConfig, opts: DaemonOptions = {}): Promise<Daemon> {
  const log = opts.log ?? ((l: string) => console.error(l));
  mkdirSync(config.stateDir, { recursive: true });
  const unlock = lockStateDir(config.stateDir);
  const db = openDb(config.stateDir, { syncFull: opts.syncFull ?? false });
  const records = new WorkerRecords(db);
  const events = new EventBus();
  const forceCtl = new AbortController();
  const keepalives = new KeepaliveStats();

  const publisher = new EventPublisher();
  const listener = new KeepaliveListener(
    (k, frames) => {
      const r = supervisor.keepalive(k.task, k.pid, k.status, k.info);
      keepalives.count(r, k.task);
      publisher.publish(frames);
    },
    (reason) => keepalives.drop(reason),
  );
  let httpBase = '';
  let kaEndpoint = '';
  const supervisor = new Supervisor(config.tasks, {
    events,
    records,
    logDir: path.join(config.stateDir, 'logs', 'tasks'),
    endpoints: () => ({ keepalive: kaEndpoint, http: httpBase }),
    force: forceCtl.signal,
  });

  let shuttingDown: Promise<void> | undefined;
  let daemon!: Daemon;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  const broker = createBroker({
    db,
    settings: config.broker,
    events,
    stateDir: config.stateDir,
    allowedCommands: config.allowedCommands,
    ...(opts.spawner ? { spawner: opts.spawner } : {}),
    ...(opts.helpers ? { helpers: opts.helpers } : {}),
  });
  const services: Services = {
    config,
    events,
    supervisor,
    keepalives,
    broker,
    startedAt: Date.now(),
    requestShutdown: (reason) => void daemon.shutdown(reason),
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
    server.on('error', (e) => log(`bl-daemon: HTTP server error: ${e.message}`));
    const port = (server.address() as AddressInfo).port;
    const host = config.bind === '0.0.0.0' || config.bind === '::' ? '127.0.0.1' : config.bind.includes(':') ? `[${config.bind}]` : config.bind;
    httpBase = `${config.tls ? 'https' : 'http'}://${host}:${port}`;

    const rec = await supervisor.recover();
    if (rec.adopted || rec.stopped) log(`bl-daemon: workers of an earlier daemon: ${rec.adopted} adopted, ${rec.stopped} stopped`);
    supervisor.autostart();
    broker.start();

    daemon = {
      url: httpBase,
      port,
      keepaliveEndpoint: kaEndpoint,
      eventsEndpoint,
      services,
      finished,
      force: () => forceCtl.abort(),
      reload: (c) => {
        broker.reconfigure(c.broker);
        return supervisor.reload(c.tasks);
      },
      shutdown(reason: string) {
        if (shuttingDown) return shuttingDown;
        shuttingDown = (async () => {
          log(`bl-daemon: shutting down (${reason})`);
          events.publish('daemon.stopping', { reason });
          // broker: drain here, beside the supervisor's stop
          await Promise.all([broker.drain(config.forceTimeout, forceCtl.signal), supervisor.stopAll('shutdown')]);
          supervisor.close();
          await listener.close();
          publisher.close();
          server.close();
          server.closeAllConnections();
          db.close();
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
    unlock();
    throw e;
  }
}
