// Slurm's client commands, found and run: sbatch, squeue, scancel, each with the daemon's
// environment plus broker.slurm.env (SLURM_CONF on a test cluster, a PATH, a module's
// variables). Found once at start and at each reload: a daemon that cannot submit does not
// start (a config error naming what it looked for), rather than fail at the first job.
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { SlurmSettings } from '../../config/types.js';
import { ConfigError } from '../../config/load.js';
import { inheritedEnv } from '../../../proc/inherited-env.js';

export const SLURM_PROGRAMS = ['sbatch', 'squeue', 'scancel'] as const;
export type SlurmProgram = (typeof SLURM_PROGRAMS)[number];

/** What execvp searches when there is no PATH at all. */
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface SlurmCommands {
  paths: Record<SlurmProgram, string>;
  env: Record<string, string>;
}

export interface SlurmRun {
  /** Exit code; null when it could not run or was killed (see `error`). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** It could not be started, or ran past its time. */
  error: string | null;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The Slurm programs on the PATH they will run with; a ConfigError naming the first missing. */
export function findSlurmCommands(s: SlurmSettings, where: string): SlurmCommands {
  const env = { ...inheritedEnv(), ...s.env };
  const searched = env.PATH ?? DEFAULT_PATH;
  const from = s.env.PATH !== undefined ? 'broker.slurm.env.PATH' : "the daemon's PATH";
  const paths = {} as Record<SlurmProgram, string>;
  for (const prog of SLURM_PROGRAMS) {
    const found = searched.split(':').filter(Boolean).map((d) => path.join(d, prog)).find(executable);
    if (!found) {
      throw new ConfigError(
        `${where}: broker.slurm: expected Slurm's \`${prog}\` on ${from} (${searched}), found none; install Slurm's client commands on this host or name their folder in broker.slurm.env.PATH`,
      );
    }
    paths[prog] = found;
  }
  return { paths, env };
}

export function runSlurm(c: SlurmCommands, prog: SlurmProgram, args: string[], timeoutMs: number): Promise<SlurmRun> {
  return new Promise((resolve) => {
    execFile(c.paths[prog], args, { env: c.env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr, error: null });
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr, error: null });
      const error = e.killed ? `${prog} gave no answer within ${Math.round(timeoutMs / 1000)} s` : `${prog} could not run: ${e.message}`;
      resolve({ code: null, stdout, stderr, error });
    });
  });
}

/** The first line that says what went wrong (Slurm's `sbatch: error: …`), else the exit status. */
export function failureText(prog: SlurmProgram, r: SlurmRun): string {
  if (r.error) return r.error;
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /error/i.test(l)) ?? lines[0] ?? `${prog} exited with code ${r.code}`;
}
