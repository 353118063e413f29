// Counting the daemon's Slurm calls: a folder of wrappers for sbatch, squeue, scancel and scontrol,
// put first on the PATH the daemon gives its Slurm commands (broker.slurm.env.PATH); each writes a
// line (time, caller's pid, command, arguments) to a log, then execs the real program. The pilots
// inherit that PATH through sbatch: their own calls (bl-launcher reads its end with scontrol)
// are told apart by the caller.
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
  /** Each call the daemon made (this process, where it runs in-process): when (s since the epoch), its arguments. */
  calls(cmd?: SlurmCall, caller?: number | 'any'): { at: number; cmd: SlurmCall; args: string }[];
  count(cmd: SlurmCall, caller?: number | 'any'): number;
}

/** `real`: where the real programs are (Debian's slurm-client puts them in /usr/bin). */
export function slurmWrappers(dir: string, basePath = '/usr/local/bin:/usr/bin:/bin', real = '/usr/bin'): SlurmWrappers {
  const bin = path.join(dir, 'slurm-bin');
  const log = path.join(dir, 'slurm-calls.log');
  mkdirSync(bin, { recursive: true });
  for (const cmd of SLURM_CALLS) {
    const f = path.join(bin, cmd);
    writeFileSync(f, `#!/bin/sh\necho "$(date +%s.%N) $PPID ${cmd} $*" >> '${log}'\nexec ${real}/${cmd} "$@"\n`);
    chmodSync(f, 0o755);
  }
  const calls = (cmd?: SlurmCall, caller: number | 'any' = process.pid) => {
    if (!existsSync(log)) return [];
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [at, ppid, c, ...rest] = l.split(' ');
        return { at: Number(at), ppid: Number(ppid), cmd: c as SlurmCall, args: rest.join(' ') };
      })
      .filter((c) => (caller === 'any' || c.ppid === caller) && (cmd === undefined || c.cmd === cmd));
  };
  return { bin, log, path: `${bin}:${basePath}`, calls, count: (cmd, caller) => calls(cmd, caller).length };
}
