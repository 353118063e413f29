// What starts a job's process: open its log, spawn it in a session of its own, report its pid
// and its exit. The one implementation is HelperSpawner (spawn-helpers/): Node's own spawn
// forks the whole calling process, page tables and all, and waits for the child's exec; from
// the daemon (an event loop shared with HTTP and SQLite) that costs more than a short job
// itself, so jobs are forked by small helper processes. Tests may hand the broker another
// Spawner (BrokerOptions.spawner).

import type { LogOutput } from '../contract/run.js';

export interface SpawnRequest {
  /** Programs to try in turn: the next one when a spawn fails (a plain command's shell fallback). */
  tries: { file: string; args: string[] }[];
  cwd: string;
  /** Set on top of the environment the helper was given at its start. */
  env: Record<string, string>;
  logPath: string;
  /** A line written to the log before the output (the attempt number). */
  header: string | null;
  /**
   * Where the helper writes the job's end if it outlives its parent (onEof 'keep',
   * spawn-helpers/end-file.ts); none: the end is only reported.
   */
  endFile?: string;
  /**
   * The cgroup the job runs in: the spawner writes its own pid to each `enter` file
   * (cgroup.procs) before the spawn and to each `home` file after, so the job is inside from
   * its first instruction. Absent: no cgroup (process groups hold the job).
   */
  cgroup?: { enter: string[]; home: string[] };
  /** Output copied by the helper into the log, rotated and stamped (contract/run.ts LogOutput); none: the job writes its log. */
  output?: LogOutput;
}

export interface SpawnEvents {
  spawned(pid: number): void;
  failed(message: string): void;
  /**
   * `left`: its group still had processes when it was reaped. `at`: when it was reaped
   * (epoch ms; the report reaches the caller a moment later). `rusage`: what its keeper
   * measured, for a job followed after a restart (spawn-helpers/end-file.ts).
   */
  exited(code: number | null, signal: string | null, left: boolean, at: number, rusage?: { cpu: number | null; maxrss: number | null }): void;
  /**
   * The spawner died after it was asked for this job: the job may run on (or may have started
   * without its pid being reported), but its exit will never be reported. `ended`: its
   * process is gone already, exit unknown (a job followed after a restart whose keeper was
   * killed): it may have done its work, so the run ends `lost`, not stopped to run again.
   */
  lost(reason: string, ended?: boolean): void;
}

export interface Spawner {
  spawn(req: SpawnRequest, ev: SpawnEvents): void;
  /** Gets ready for a first job (starts a helper process), so it does not wait for that. */
  warm?(): void;
  close(): void;
}
