// One sbatch of a pilot: its script written under state_dir/slurm (mode 600: it holds the
// token), submitted, and kept as `<id>.sh` for whoever wants to read what runs; gone on failure.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pilotScript, sbatchArgv, type PilotSpec } from './pilot-script.js';
import { failureText, runSlurm, type SlurmCommands } from './slurm-commands.js';

/** sbatch waits on slurmctld, which may be slow to answer but must not hold a submission for ever. */
const SBATCH_TIMEOUT_MS = 60_000;

/** Slurm's job id, or why there is none (sbatch's own first error line, most often). */
export async function submitPilot(c: SlurmCommands, spec: PilotSpec): Promise<{ id: string } | { error: string }> {
  const script = path.join(spec.dir, `pilot-${randomBytes(6).toString('hex')}.sh`);
  let error: string;
  try {
    mkdirSync(spec.dir, { recursive: true });
    writeFileSync(script, pilotScript(spec), { mode: 0o600 });
    const r = await runSlurm(c, 'sbatch', sbatchArgv(spec, script), SBATCH_TIMEOUT_MS);
    // --parsable: "id" or "id;cluster".
    const id = r.code === 0 ? /^(\d+)/.exec(r.stdout.trim())?.[1] : undefined;
    if (id) {
      try {
        renameSync(script, path.join(spec.dir, `${id}.sh`));
      } catch {
        // Slurm has its own copy; ours is only for reading
      }
      return { id };
    }
    error = r.code === 0 ? `sbatch answered ${JSON.stringify(r.stdout.trim())}, expected a job id` : failureText('sbatch', r);
  } catch (e) {
    error = `could not write the pilot script ${script}: ${(e as Error).message}`;
  }
  rmSync(script, { force: true });
  return { error };
}
