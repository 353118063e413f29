// What the routes reach: the daemon's parts, injected so tests can build the app without a port.
import type { DaemonConfig } from './config/types.js';
import type { EventBus } from './events/bus.js';
import type { Supervisor } from './supervisor/supervisor.js';
import type { KeepaliveStats } from './keepalive/stats.js';
import type { KeepaliveListener } from './keepalive/listener.js';
import type { Broker } from './broker/index.js';
import type { Logger } from './log/logger.js';
import type { KeepaliveKeys } from './http/keepalive-key.js';
import type { ReloadPlan } from './config/reload-plan.js';
import type { Cgroups } from '../proc/cgroup/setup.js';

export interface Services {
  config: DaemonConfig;
  events: EventBus;
  supervisor: Supervisor;
  keepalives: KeepaliveStats;
  /** The `key` of BL_KEEPALIVE_URL, which opens one task's keep-alive route under auth. */
  keepaliveKeys: KeepaliveKeys;
  /** The keep-alive socket's reader: its `problem` fails GET /healthz. */
  keepaliveListener: KeepaliveListener;
  /** Asks the daemon to shut down gracefully (POST /shutdown); `keepJobs`: its jobs run on. */
  requestShutdown: (reason: string, o?: { keepJobs?: boolean }) => void;
  startedAt: number;
  broker: Broker;
  /** The daemon's log (stderr and state_dir/bl-daemon.log). */
  log: Logger;
  /** POST /config/reload: SIGHUP's work (run.ts's reloadFile). */
  reloadConfig: () => Promise<ReloadPlan>;
  /** POST /config/check: what a reload would do with the file on disk, or with `text` in its place; nothing done. */
  checkConfig: (text?: string) => ReloadPlan;
  /** Whether workers and jobs are held by cgroups or process groups, and why. */
  cgroups: Cgroups;
}
