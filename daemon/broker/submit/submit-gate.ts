// What a submit must pass after parsing, before the store sees it: allowed_commands, and a
// sweep's combinations that already succeeded. Both run on the expanded jobs, so a prefix is
// checked against the command as it will run, `{name}` already replaced.
import { BlError, describe } from '../../../contract/errors.js';
import type { JobStore } from '../store/store.js';
import type { NewJob } from '../types.js';

/** What allowed_commands is matched against: the command, argv joined, or an http job's URL. */
function matchedText(j: NewJob): string {
  if (j.http) return j.http.url;
  return j.command ?? (j.argv ?? []).join(' ');
}

/**
 * golang-job-runner's only security feature, kept: a job must start with one of the prefixes.
 * An http job has no command, so its URL is what a prefix must match (an allow-list meant for
 * commands refuses every URL unless the operator lists one).
 */
export function checkAllowed(jobs: NewJob[], allowed: string[] | undefined): void {
  if (!allowed) return;
  for (const j of jobs) {
    const text = matchedText(j);
    if (!allowed.some((p) => text.startsWith(p))) {
      const what = j.http ? `http job URL ${describe(text)}` : `command ${describe(text)}`;
      throw new BlError('forbidden', `${what} does not start with one of allowed_commands (${allowed.join(', ')}); nothing was submitted`);
    }
  }
}

/** Drops sweep jobs whose combination already succeeded, unless the submit said `force`. */
export function dropDoneSweeps(jobs: NewJob[], store: JobStore): { jobs: NewJob[]; skipped: number } {
  const keys = jobs.filter((j) => j.sweepKey && !j.force).map((j) => j.sweepKey!);
  if (keys.length === 0) return { jobs, skipped: 0 };
  const done = store.succeededSweeps(keys);
  if (done.size === 0) return { jobs, skipped: 0 };
  const kept = jobs.filter((j) => !(j.sweepKey && !j.force && done.has(j.sweepKey)));
  return { jobs: kept, skipped: jobs.length - kept.length };
}
