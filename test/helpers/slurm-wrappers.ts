// Counting the daemon's Slurm calls: a folder of wrappers for sbatch, squeue, scancel and scontrol,
// put first on the PATH the daemon gives its Slurm commands (broker.slurm.env.PATH); each writes a
// line (time, command, arguments) to a log, then execs the real program.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const SLURM_CALLS = ['sbatch', 'squeue', 'scancel', 'scontrol'] as const;
export type SlurmCall = (typeof SLURM_CALLS)[number];

export interface SlurmWrappers {
  /** The wrappers' folder, to put first on a PATH. */
  bin: string;
  log: string;
  /** A PATH with the wrappers first. */
  path: string;
  /** Each call: when (s since the epoch) and its arguments. */
  calls(cmd?: SlurmCall): { at: number; cmd: SlurmCall; args: string }[];
  count(cmd: SlurmCall): number;
}

/** `real`: where the real programs are (Debian's slurm-client puts them in /usr/bin). */
export function slurmWrappers(dir: string, basePath = '/usr/local/bin:/usr/bin:/bin', real = '/usr/bin'): SlurmWrappers {
  const bin = path.join(dir, 'slurm-bin');
  const log = path.join(dir, 'slurm-calls.log');
  mkdirSync(bin, { recursive: true });
  for (const cmd of SLURM_CALLS) {
    const f = path.join(bin, cmd);
    writeFileSync(f, `#!/bin/sh\necho "$(date +%s.%N) ${cmd} $*" >> '${log}'\nexec ${real}/${cmd} "$@"\n`);
    chmodSync(f, 0o755);
  }
  const calls = (cmd?: SlurmCall) => {
    if (!existsSync(log)) return [];
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [at, c, ...rest] = l.split(' ');
        return { at: Number(at), cmd: c as SlurmCall, args: rest.join(' ') };
      })
      .filter((c) => cmd === undefined || c.cmd === cmd);
  };
  return { bin, log, path: `${bin}:${basePath}`, calls, count: (cmd) => calls(cmd).length };
}
