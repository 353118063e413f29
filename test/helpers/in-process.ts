// A bl-daemon started in the test's own process: the config file written and loaded as the
// real one is (loadConfig), then daemon/run.ts's startDaemon with the parts a test injects (a
// Spawner for the broker). Real HTTP on port 0, real ZeroMQ sockets on ports 0, a real SQLite
// file in a temp dir, real worker and job processes; no daemon process to start (about half a
// second each on 2 cores). Signals, crashes and start-up/exit go through a real process
// (daemon.ts).
import { removeLeftovers } from '../../proc/cgroup/setup.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../daemon/config/load.js';
import type { DaemonConfig } from '../../daemon/config/types.js';
import { startDaemon, type Daemon, type DaemonOptions } from '../../daemon/run.js';
import type { Services } from '../../daemon/services.js';
import { api, request, type Client, type Reply } from './client.js';
import { writeTestConfig, type StartOptions } from './daemon.js';

export type InProcessOptions = Omit<StartOptions, 'args' | 'env' | 'nodeArgs'> &
  Pick<DaemonOptions, 'spawner' | 'helpers'> & {
    /** Changes to the loaded config before the start (what bl-daemon's flags would do). */
    adjust?: (c: DaemonConfig) => void;
  };

export class InProcessDaemon implements Client {
  /** What the daemon logged (run.ts's `log`), one line an entry. */
  readonly log: string[] = [];
  daemon!: Daemon;
  config!: DaemonConfig;
  private stopped: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly options: InProcessOptions,
  ) {}

  get url(): string {
    return this.daemon.url;
  }

  /** The daemon's parts: supervisor, broker, events… (what the HTTP layer is given). */
  get services(): Services {
    return this.daemon.services;
  }

  request(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    return request(this.url, this.options.clientToken, method, p, body, headers);
  }

  api(method: string, p: string, body?: unknown): Promise<any> {
    return api(this, method, p, body);
  }

  /** A graceful shutdown, as SIGINT gives the real daemon; resolves when all is stopped and closed. */
  stop(): Promise<void> {
    this.stopped ??= this.daemon.shutdown('test');
    return this.stopped;
  }

  /** A new daemon on the same temp dir, config and state (stop this one first). */
  restart(extra: Partial<InProcessOptions> = {}): Promise<InProcessDaemon> {
    return startInProcess({ ...this.options, ...extra, dir: this.dir });
  }

  /** Stops it if it still runs (a second stop forces: no grace periods); removes the temp dir. */
  async cleanup(): Promise<void> {
    if (this.daemon) {
      const stopping = this.stop();
      this.daemon.force();
      await stopping;
    }
    // A daemon of this state dir killed earlier in the test left its cgroups.
    if (this.config) removeLeftovers(this.config.stateDir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startInProcess(options: InProcessOptions = {}): Promise<InProcessDaemon> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'bl-test-'));
  const d = new InProcessDaemon(dir, options);
  const config = loadConfig(writeTestConfig(dir, options));
  options.adjust?.(config);
  d.config = config;
  const opts: DaemonOptions = { log: (l) => d.log.push(l) };
  if (options.spawner) opts.spawner = options.spawner;
  if (options.helpers) opts.helpers = options.helpers;
  d.daemon = await startDaemon(config, opts);
  return d;
}
