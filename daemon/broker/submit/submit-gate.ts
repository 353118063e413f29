// What a submit must pass after parsing, before the store sees it: allowed_commands (and the
// env and redirect rules that go with it), and a sweep's combinations that already succeeded.
// Both run on the expanded jobs: the list judges each command as it will run, its `{name}`s
// already replaced (as quoted words, sweep.ts).
import { BlError } from '../../../contract/errors.js';
import type { HttpSpec } from '../../../contract/run.js';
import type { UrlRule } from '../../../runner/url-rule.js';
import type { JobStore } from '../store/store.js';
import type { NewJob } from '../types.js';
import type { AllowEntry } from './allow-entries.js';
import { gateCommand, ProgramLookup } from './command-gate.js';
import { envRefusal } from './env-policy.js';
import { gateUrl } from './url-gate.js';

/** The config's rules for what a submit may run (docs/config.md "allowed_commands"). */
export interface SubmitPolicy {
  /** allowed_commands, parsed; undefined: no allow-list. */
  commands: readonly AllowEntry[] | undefined;
  /** allowed_env: the only keys a job's env may set; undefined: all but REFUSED_ENV under an allow-list. */
  allowedEnv: readonly string[] | undefined;
  /** false: an http job's redirect is its answer, never followed. */
  followRedirects: boolean;
  /** The daemon's PATH, where a bare program name is looked up. */
  searchPath: string;
}

/** Set by the daemon for a sweep's job, not by whoever submitted it. */
const SWEEP_ENV = new Set(['BL_PARAMS', 'BL_OUTPUT_DIR']);

function gateEnv(j: NewJob, allowedEnv: readonly string[] | undefined): void {
  for (const key of Object.keys(j.env)) {
    if (j.params && SWEEP_ENV.has(key)) continue;
    const why = envRefusal(key, allowedEnv);
    if (why) {
      const fix = allowedEnv ? '' : '; allowed_commands refuses it unless allowed_env names it';
      throw new BlError('forbidden', `env refused: ${why}${fix}`);
    }
  }
}

/** Where an http job's redirects may go: absent = fetch's own following, as without a list. */
function redirects(list: readonly AllowEntry[] | undefined, follow: boolean): HttpSpec['redirects'] {
  if (!follow) return 'none';
  return list ? list.flatMap((e) => (e.kind === 'url' ? [e.text] : [])) : undefined;
}

/**
 * The jobs as they will be stored and run, or a 403 for the first one the policy refuses (then
 * nothing of the submit is stored). With allowed_commands, a command job comes back as the argv
 * of its resolved program (command-gate.ts) and an http job carries the URLs its redirects may
 * reach.
 */
export function gateJobs(jobs: NewJob[], p: SubmitPolicy): NewJob[] {
  const list = p.commands;
  const envRule = list !== undefined || p.allowedEnv !== undefined;
  if (!list && !envRule && p.followRedirects) return jobs;
  const rules: UrlRule[] = (list ?? []).flatMap((e) => (e.kind === 'url' ? [e.rule] : []));
  const lookup = list ? new ProgramLookup(list, p.searchPath) : undefined;
  const many = jobs.length > 1;
  return jobs.map((j, i) => {
    try {
      if (j.http) {
        const http = list ? gateUrl(j as NewJob & { http: HttpSpec }, rules) : j.http;
        const r = redirects(list, p.followRedirects);
        return r === undefined ? j : { ...j, http: { ...http, redirects: r } };
      }
      if (envRule) gateEnv(j, p.allowedEnv);
      return list ? gateCommand(j, list, lookup!) : j;
    } catch (e) {
      if (e instanceof BlError && many) throw new BlError(e.code, `job ${i + 1} of ${jobs.length}: ${e.message}; nothing was submitted`);
      throw e;
    }
  });
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
