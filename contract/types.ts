// JSON shapes of the HTTP API (with `Accept: application/json` or `?format=json`), shared by
// the daemon, the console and the launcher. Times are ISO 8601 strings, null when none.
import type { Limits } from './limits.js';
import type { HttpSpec, IdleCpu } from './run.js';

/** `waiting`: started, its workers held until every task it requires is ready (`waiting_for`). */
export type TaskState = 'running' | 'stopped' | 'backoff' | 'flapping' | 'waiting';

/** A required task not ready yet: `ready` of its `cardinality` workers are. */
export interface AwaitedJson {
  task: string;
  ready: number;
  cardinality: number;
}

export interface TaskCounters {
  stalled: number;
  exited_ok: number;
  exited_error: number;
  stopped: number;
  restarts: number;
}

/** CPU and memory of a process tree, from the daemon's samples (about once a second). */
export interface ProcessUsageJson {
  /** CPU over the last sample interval, 100 = one core. */
  cpu_percent: number;
  rss_bytes: number;
}

export interface WorkerJson {
  task: string;
  pid: number;
  started_at: string;
  last_alive_at: string | null;
  state: 'running' | 'stopping';
  info: string | null;
  adopted: boolean;
  /** Its process tree's usage; null until the first sample. */
  usage: ProcessUsageJson | null;
}

/**
 * How a task's last worker went that did not go on purpose (a crash, an exit, a stall, a
 * spawn that failed): what an operator needs to see why a task backs off.
 */
export interface LastExitJson {
  pid: number | null;
  /** exited: by itself (code 0 or not); killed: by a signal it did not get from bl; stalled;
   * spawn_failed: it never started (command not found, cwd missing…). */
  kind: 'exited' | 'killed' | 'stalled' | 'spawn_failed';
  code: number | null;
  signal: string | null;
  at: string;
  /** One line: `exited 1`, `killed by SIGKILL`, `stalled (no keep-alive for 5000 ms)`, `command not found: x`. */
  message: string;
  /** The last lines of the task's captured output before it went (up to 10; none when not captured). */
  output: string[];
}

export interface TaskJson {
  name: string;
  running: boolean;
  state: TaskState;
  cmd: string;
  args: string[];
  cardinality: number;
  active: number;
  /** The seed's "Dead Workers": stalled + exited (any code), not the ones stopped on purpose. */
  dead: number;
  started_at: string | null;
  last_alive_at: string | null;
  stall_timeout: number;
  grace_period: number;
  counters: TaskCounters;
  next_start_at: string | null;
  workers: WorkerJson[];
  /** The sum over its live workers; null when none has been sampled. */
  usage: ProcessUsageJson | null;
  last_exit: LastExitJson | null;
  /** The tasks its `requires` names (config). */
  requires: string[];
  /** While `waiting`: the required tasks not ready yet; else empty. */
  waiting_for: AwaitedJson[];
}

/** One field a reload changes; `from`/`to` are left out where the values are not shown (env, auth). */
export interface ReloadFieldChangeJson {
  field: string;
  from?: unknown;
  to?: unknown;
}

export interface ReloadTaskChangeJson {
  task: string;
  changes: ReloadFieldChangeJson[];
}

export interface ReloadSettingChangeJson extends ReloadFieldChangeJson {
  /** false: kept as it is until the daemon restarts (a port, the state dir…). */
  applied: boolean;
}

/**
 * What a reload does (POST /config/reload, the `config.reloaded` event) or would do (POST
 * /config/check): the config file, the tasks started, stopped, restarted and why, the rest.
 */
export interface ReloadPlanJson {
  file: string | null;
  /** New tasks that autostart. */
  start: string[];
  /** New tasks only defined (autostart false). */
  add: string[];
  /** Tasks the file no longer has that run: stopped. */
  stop: string[];
  /** Tasks the file no longer has that do not run. */
  remove: string[];
  /** Running tasks whose definition (cmd, args, cwd, env, capture_output) changed: replaced worker by worker, once. */
  restart: ReloadTaskChangeJson[];
  /** Other changed tasks: taken without a restart (a cardinality rescales), or not running. */
  change: ReloadTaskChangeJson[];
  /** Settings outside the tasks that changed. */
  settings: ReloadSettingChangeJson[];
}

/** GET /tasks → running tasks; GET /list → every known task. */
export interface TasksJson {
  tasks: TaskJson[];
}
export interface ListJson {
  tasks: { name: string; running: boolean }[];
}

/** The states a job ends in: "completed" lists them all, "errors" all but `succeeded`. */
export const END_STATES = ['succeeded', 'failed', 'timed_out', 'dead', 'oom', 'cancelled', 'lost'] as const;
export type EndState = (typeof END_STATES)[number];
/** `waiting`: submitted with `after`, not yet runnable (not counted against the concurrency). */
export const JOB_STATES = ['waiting', 'pending', 'running', ...END_STATES] as const;
export type JobState = (typeof JOB_STATES)[number];
/** `state=` filters of GET /jobs. */
export type JobListFilter = 'waiting' | 'pending' | 'running' | 'completed' | 'errors' | JobState;

export interface UsageJson {
  cpu_max: number;
  rss_max: number;
  cpu_last: number;
  rss_last: number;
}

export interface JobJson {
  id: string;
  command: string | null;
  argv: string[] | null;
  http: HttpSpec | null;
  cwd: string;
  env: Record<string, string>;
  queue: 'normal' | 'urgent';
  timeout: number | null;
  idle_cpu: IdleCpu | null;
  retries: number;
  key: string | null;
  labels: Record<string, string>;
  params: Record<string, unknown> | null;
  /** The sweep this job is a combination of (`after` may name it), null for a plain job. */
  sweep: string | null;
  /** The jobs and sweeps it waits on (ids), as resolved at its submit. */
  after: string[];
  /** true: released when each of `after` has ended, however; false: only when each succeeded. */
  after_any: boolean;
  /** Its log rotated at this size (bytes) by its spawn helper, `log_keep` rotated files kept; null: not rotated. */
  log_max_bytes: number | null;
  log_keep: number | null;
  /** Each line of its log starts with the time it was written. */
  log_timestamps: boolean;
  state: JobState;
  attempt: number;
  launcher: string | null;
  host: string | null;
  pid: number | null;
  submitted_at: string;
  started_at: string | null;
  finished_at: string | null;
  exit_code: number | null;
  signal: string | null;
  usage: UsageJson | null;
  /** Why it ended when not by its own exit (timeout, idle CPU, cancel, lost lease, spawn error, oom). */
  reason: string | null;
  /** memory_max (bytes), cpu_max (cores), pids_max, as submitted; null = none. */
  limits: Limits | null;
}

/** GET /jobs */
export interface JobPageJson {
  jobs: JobJson[];
  /** Pass as `after=` for the next page; null on the last page. */
  next: string | null;
}

/** POST /jobs: a single object submitted → the job; an array (or a sweep) → `{jobs}`. */
export type SubmitReplyJson = JobJson | { jobs: JobJson[]; skipped?: number; sweep?: string };

export interface LauncherJson {
  name: string;
  host: string;
  slots: number;
  running: number;
  last_seen_at: string | null;
  exiting: boolean;
  /**
   * working (or exiting) while heard from within its heartbeat interval; silent past it; gone
   * once lease_ttl has passed without a word (its jobs re-queued). The built-in launcher: working.
   */
  state?: 'working' | 'exiting' | 'silent' | 'gone';
  /** Seconds since the launcher was last heard from (0 while it waits for jobs). */
  silent_s?: number;
  /** A Slurm pilot's allocation (broker.slurm): its id, node and seconds left. */
  allocation?: { id: string; node: string | null; time_left_s: number | null };
}

/**
 * A Slurm allocation the daemon submitted to run a bl-launcher (a pilot) on the cluster.
 * `id` is Slurm's job id; the launcher it runs is named `slurm-<id>`.
 */
export interface AllocationJson {
  id: string;
  /** pending: queued in Slurm; running: its launcher may lease jobs; ended: gone (see reason). */
  state: 'pending' | 'running' | 'ending' | 'ended';
  launcher: string;
  /** The node Slurm placed it on, once running. */
  node: string | null;
  submitted_at: string;
  started_at: string | null;
  ended_at: string | null;
  /** When Slurm ends it (its time limit), once known. */
  end_at: string | null;
  /** Seconds until end_at, when running. */
  time_left_s: number | null;
  /** Its launcher has connected to the daemon. */
  connected: boolean;
  jobs_run: number;
  /** Why it ended (idle exit, time limit, cancelled, failed at start, …); while queued, why Slurm keeps it waiting. */
  reason: string | null;
}

/** GET /broker/allocations (and `allocations` in GET /broker when Slurm is configured). */
export interface AllocationsJson {
  /** Why new allocations are not being submitted (repeated failures), null when they are. */
  paused: string | null;
  allocations: AllocationJson[];
}

/** GET /broker */
export interface BrokerJson {
  concurrency: number;
  urgent_bypass: boolean;
  paused: boolean;
  running: number;
  pending: number;
  pending_urgent: number;
  /** Jobs waiting on others (`after`), not yet pending. */
  waiting: number;
  counts: Record<JobState, number>;
  launchers: LauncherJson[];
  /** Present when `broker.slurm` is configured. */
  allocations?: AllocationsJson;
}

/** The answer to POST /launchers/:name/lease (a 204 when nothing came within the wait). */
export interface LeaseJson {
  jobs: JobJson[];
  /** The launchers were asked to leave once their running jobs end (exit-worker). */
  exit?: true;
  /** Seconds a lease lives without a heartbeat. */
  lease_ttl: number;
}

/** The longest a lease request waits: under common proxy and client idle timeouts (30 s and up). */
export const MAX_LEASE_WAIT_S = 25;
