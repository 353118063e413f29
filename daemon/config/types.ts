// The config after loading: every default filled in, every path absolute, times in ms.
import type { IdleCpu } from '../../contract/run.js';
import type { AllowEntry } from '../broker/submit/allow-entries.js';
import type { Limits } from '../../contract/limits.js';
import type { CgroupSetting } from '../../proc/cgroup/host.js';

export interface TaskSpec {
  name: string;
  cmd: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  cardinality: number;
  /** The most workers the task may be given, in the file or at run time. */
  maxCardinality: number;
  autostart: boolean;
  /** 0 = stall detection off (for programs that send no keep-alives). */
  stallTimeout: number;
  gracePeriod: number;
  minUptime: number;
  backoffInitial: number;
  backoffMax: number;
  captureOutput: boolean;
  /** The task's log is rotated at this size (bytes), `logKeep` rotated files kept. */
  logMaxBytes: number;
  logKeep: number;
  /** Each captured line starts with its ISO 8601 time. */
  logTimestamps: boolean;
  adopt: boolean;
  /** Tasks whose every worker must be ready (a first keep-alive, or min_uptime with stall
   * detection off) before this one spawns its first; names checked, no cycle (task-graph.ts). */
  requires: string[];
  /** memory_max, cpu_max, pids_max of each worker (normal form); null or absent = none. */
  limits?: Limits | null;
  /** Where the task came from: a file under `path`, `autotasks` or `tasks`. */
  source: 'path' | 'autotasks' | 'tasks';
}

export interface BrokerSettings {
  concurrency: number;
  urgentBypass: boolean;
  /** undefined = the built-in launcher may use all of `concurrency`. */
  localSlots: number | undefined;
  leaseTtl: number;
  defaultTimeout: number;
  idleCpu: IdleCpu | undefined;
  retries: number;
  /** A job's log is rotated at this size by default (bytes; undefined: not rotated), `logKeep` rotated files kept. */
  logMaxBytes?: number | undefined;
  logKeep?: number;
  /** A job's log lines start with their time by default. */
  logTimestamps?: boolean;
  /** Allocations on a Slurm cluster that run bl-launcher pilots; undefined = none. */
  slurm?: SlurmSettings | undefined;
}

/** broker.slurm with its defaults filled in; times in seconds (docs/config.md). */
export interface SlurmSettings {
  partition: string | undefined;
  account: string | undefined;
  qos: string | undefined;
  timeLimitS: number;
  slotsPerLauncher: number;
  cpusPerLauncher: number;
  /** sbatch --mem as given ("4G"; a number is MB). */
  mem: string | undefined;
  gres: string | undefined;
  maxLaunchers: number;
  maxPendingAllocations: number;
  idleExitS: number;
  endMarginS: number;
  pollIntervalS: number;
  sbatchArgs: string[];
  /** On top of the daemon's environment, for the Slurm commands and (through sbatch) the pilots. */
  env: Record<string, string>;
  /** The URL pilots reach the daemon at; undefined = the daemon's own (run.ts knows it). */
  launcherUrl: string | undefined;
  /** Job names are `<name>-<daemon host>`. */
  name: string;
}

export interface DaemonConfig {
  /** Absolute path of the config file, undefined when started on defaults. */
  file: string | undefined;
  port: number;
  bind: string;
  insecure: boolean;
  forceTimeout: number;
  keepalives: {
    host: string;
    inboundPort: number;
    internalPort: number;
    stallTimeout: number;
    gracePeriod: number;
    /** Bytes: a larger keep-alive message is refused by libzmq, its sender's connection closed. */
    maxMessageSize: number;
  };
  tasks: Map<string, TaskSpec>;
  broker: BrokerSettings;
  stateDir: string;
  /** The job store: "sqlite" (state_dir/bl.db), "postgres" (the PG* environment) or a postgres:// URL. */
  store: string;
  auth: { token?: string; basic?: string } | undefined;
  tls: { cert: string; key: string; ca?: string } | undefined;
  /** allowed_commands, each entry read (relative paths against the config file's folder). */
  allowedCommands: AllowEntry[] | undefined;
  /** allowed_env: the only keys a job's env may set. */
  allowedEnv: string[] | undefined;
  /** false: http jobs follow no redirect. */
  followRedirects: boolean;
  /** cgroups: a cgroup for every worker and job (true), never (false), where the host allows (auto). */
  cgroups: CgroupSetting;
  /** Things worth saying at start that do not stop it (e.g. a `path` that does not exist). */
  warnings: string[];
}
