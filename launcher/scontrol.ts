// Asks Slurm once when a job ends (`scontrol show job ID`), for a launcher started in an
// allocation whose Slurm sets no SLURM_JOB_END_TIME (22.05 does not). scontrol reads the
// cluster's config from the environment the launcher was started with (SLURM_CONF).
import { execFile } from 'node:child_process';
import { parseScontrolEndTime } from './allocation-end.js';

/** A controller that does not answer must not hold the launcher's start for long. */
const SCONTROL_TIMEOUT_MS = 15_000;

/** The job's end (ms since the epoch), null when Slurm does not know it; rejects with why not. */
export function slurmJobEnd(jobId: string, program = 'scontrol'): Promise<number | null> {
  return new Promise((resolve, reject) => {
    execFile(program, ['show', 'job', jobId], { timeout: SCONTROL_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const said = (stderr || '').trim().split('\n')[0] || err.message;
        return reject(new Error(`${program} show job ${jobId} failed: ${said}`));
      }
      try {
        resolve(parseScontrolEndTime(stdout));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
