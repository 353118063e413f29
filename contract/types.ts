// JSON shapes of the HTTP API (with `Accept: application/json` or `?format=json`), shared by
// the daemon, the console and the launcher. Times are ISO 8601 strings, null when none.
import type { Limits } from './limits.js';
import type { HttpSpec, IdleCpu } from './run.js';

export type TaskState = 'running' | 'stopped' | 'backoff' | 'flapping';

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
export const JOB_STATES = ['pending', 'running', ...END_STATES] as const;
export type JobState = (typeof JOB_STATES)[number];
/** `state=` filters of GET /jobs. */
export type JobListFilter = 'pending' | 'running' | 'completed' | 'errors' | JobState;

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
export type SubmitReplyJson = JobJson | { jobs: JobJson[]; skipped?: number };

export interface LauncherJson {
  name: string;
  host: string;
  slots: number;
  running: number;
  last_seen_at: string | null;
  exiting: boolean;
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
