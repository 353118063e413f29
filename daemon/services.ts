// What the routes reach: the daemon's parts, injected so tests can build the app without a port.
import type { DaemonConfig } from './config/types.js';
import type { EventBus } from './events/bus.js';
import type { Supervisor } from './supervisor/supervisor.js';
import type { KeepaliveStats } from './keepalive/stats.js';
import type { Broker } from './broker/index.js';
import type { Logger } from './log/logger.js';
import type { ReloadResult } from './config/reload-result.js';
import type { Cgroups } from '../proc/cgroup/setup.js';

export interface Services {
  config: DaemonConfig;
  events: EventBus;
  supervisor: Supervisor;
  keepalives: KeepaliveStats;
  /** Asks the daemon to shut down gracefully (POST /shutdown). */
  requestShutdown: (reason: string) => void;
  startedAt: number;
  broker: Broker;
  /** The daemon's log (stderr and state_dir/bl-daemon.log). */
  log: Logger;
  /** POST /config/reload: SIGHUP's work (run.ts's reloadFile). */
  reloadConfig: () => Promise<ReloadResult>;
  /** Whether workers and jobs are held by cgroups or process groups, and why. */
  cgroups: Cgroups;
}
