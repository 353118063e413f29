// Turns a submit body into validated NewJobs. Every refusal says which field of which job,
// what was expected and what came, so a 10,000-job submit with one bad entry is fixable.
import { statSync } from 'node:fs';
import path from 'node:path';
import { BlError, describe, describeText } from '../../../contract/errors.js';
import { didYouMean } from '../../../contract/did-you-mean.js';
import type { NewJob, Queue } from '../types.js';
import type { IdleCpu, LogOutput } from '../../../contract/run.js';
import { parseHttp } from '../../../runner/http-job.js';
import { LOG_MAX_KEEP } from '../../../runner/log-files.js';
import { DEFAULT_OUTPUT_ROOT, expandSweep, parseParams } from './sweep.js';
import { ulid } from 'ulid';
import { parseLimits, type Limits } from '../../../contract/limits.js';

export interface SubmitDefaults {
  /** cwd when a job gives none. */
  cwd: string;
  /** Seconds; 0 = none. */
  timeout: number;
  idleCpu: IdleCpu | undefined;
  retries: number;
  /** Why this host cannot enforce these limits, or null when it can (proc/cgroup/host.ts). */
  refuseLimits?: (l: Limits) => string | null;
  /** broker.log_max_bytes (null: none), log_keep, log_timestamps; absent: a job's log is not copied. */
  log?: LogOutput;
}

const FIELDS = ['command', 'argv', 'cwd', 'env', 'queue', 'urgent', 'timeout', 'idle_cpu', 'retries', 'key', 'labels', 'params', 'http', 'output_root', 'force', 'url', 'method', 'body', 'after', 'after_any', 'memory_max', 'cpu_max', 'pids_max', 'log_max_bytes', 'log_keep', 'log_timestamps'];
/** Names in one `after` at most: each is a row the store keeps while the job waits. */
export const MAX_AFTER = 1000;

function bad(where: string, field: string, expected: string, found: unknown): BlError {
  return new BlError('bad_value', `${where}: expected \`${field}\` to be ${expected}, found ${describe(found)}`);
}

function stringMap(where: string, field: string, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(where, field, 'an object of strings', v);
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string') throw bad(where, `${field}.${k}`, 'a string', s);
  }
  return v as Record<string, string>;
}

/** An existing directory, checked once per distinct path of a batch. */
function checkCwd(where: string, cwd: string, seen: Map<string, boolean>): void {
  if (cwd.includes('\0')) throw new BlError('bad_value', `${where}: expected \`cwd\` without a NUL byte (\\u0000), found ${describe(cwd)}`);
  if (!seen.has(cwd)) {
    let ok = false;
    try {
      ok = statSync(cwd).isDirectory();
    } catch {
      ok = false;
    }
    seen.set(cwd, ok);
  }
  if (!seen.get(cwd)) throw new BlError('bad_value', `${where}: expected \`cwd\` to be an existing directory, found ${describe(cwd)} (no such directory)`);
}

export function parseJob(raw: unknown, where: string, d: SubmitDefaults, cwds: Map<string, boolean> = new Map()): NewJob {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BlError('bad_value', `${where}: expected a job object, found ${describe(raw)}`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!FIELDS.includes(k)) {
      const hint = didYouMean(k, FIELDS);
      throw new BlError('bad_value', `${where}: unknown field \`${k}\`${hint ? `, did you mean \`${hint}\`?` : ''} (fields: ${FIELDS.join(', ')})`);
    }
  }
  // An http job (http-job.ts) is a request instead of a command.
  const http = parseHttp(where, o);
  let command: string | null = null;
  let argv: string[] | null = null;
  if (o.command !== undefined && o.argv !== undefined) throw new BlError('bad_value', `${where}: expected one of \`command\` or \`argv\`, found both`);
  if (http) {
    if (o.command !== undefined || o.argv !== undefined) throw new BlError('bad_value', `${where}: expected a \`command\`, \`argv\` or an http request, found both a command and a request`);
  } else if (o.argv !== undefined) {
    if (!Array.isArray(o.argv) || o.argv.length === 0 || !o.argv.every((a) => typeof a === 'string') || o.argv[0] === '') {
      throw bad(where, 'argv', 'a non-empty array of strings', o.argv);
    }
    argv = o.argv as string[];
  } else {
    if (typeof o.command !== 'string' || o.command.trim() === '') throw bad(where, 'command', 'a non-empty string (or give `argv`)', o.command);
    command = o.command;
  }
  let cwd = d.cwd;
  if (o.cwd !== undefined) {
    if (typeof o.cwd !== 'string' || !path.isAbsolute(o.cwd)) throw bad(where, 'cwd', 'an absolute path', o.cwd);
    cwd = o.cwd;
  }
  checkCwd(where, cwd, cwds);
  let queue: Queue = 'normal';
  if (o.queue !== undefined) {
    if (o.queue !== 'normal' && o.queue !== 'urgent') throw bad(where, 'queue', '"normal" or "urgent"', o.queue);
    queue = o.queue;
  }
  if (o.urgent !== undefined) {
    if (typeof o.urgent !== 'boolean') throw bad(where, 'urgent', 'true or false', o.urgent);
    if (o.urgent) queue = 'urgent';
  }
  let timeout: number | null = d.timeout > 0 ? d.timeout : null;
  if (o.timeout !== undefined && o.timeout !== null) {
    if (typeof o.timeout !== 'number' || !Number.isFinite(o.timeout) || o.timeout < 0) throw bad(where, 'timeout', 'a number of seconds ≥ 0 (0 = none)', o.timeout);
    timeout = o.timeout > 0 ? o.timeout : null;
  }
  let idleCpu: IdleCpu | null = d.idleCpu ?? null;
  if (o.idle_cpu !== undefined) {
    const ic = o.idle_cpu as Record<string, unknown> | null;
    if (ic === null) idleCpu = null;
    else if (typeof ic !== 'object' || typeof ic.percent !== 'number' || ic.percent < 0 || typeof ic.seconds !== 'number' || ic.seconds <= 0) {
      throw bad(where, 'idle_cpu', '{percent ≥ 0, seconds > 0}', o.idle_cpu);
    } else idleCpu = { percent: ic.percent, seconds: ic.seconds };
  }
  let retries = d.retries;
  if (o.retries !== undefined) {
    if (!Number.isInteger(o.retries) || (o.retries as number) < 0) throw bad(where, 'retries', 'an integer ≥ 0', o.retries);
    retries = o.retries as number;
  }
  let key: string | null = null;
  if (o.key !== undefined && o.key !== null) {
    if (typeof o.key !== 'string' || o.key === '') throw bad(where, 'key', 'a non-empty string', o.key);
    key = o.key;
  }
  const job: NewJob = { command, argv, cwd, env: stringMap(where, 'env', o.env), queue, timeout, idleCpu, retries, key, labels: stringMap(where, 'labels', o.labels) };
  parseAfter(where, o, job);
  const lim = parseLimits(o);
  if ('error' in lim) throw new BlError('bad_value', `${where}: \`${lim.field}\`: ${lim.error}`);
  if (lim.limits) {
    if (http) throw new BlError('bad_value', `${where}: an http job runs no process; \`memory_max\`, \`cpu_max\` and \`pids_max\` apply to commands`);
    const refused = d.refuseLimits?.(lim.limits);
    if (refused) throw new BlError('bad_value', `${where}: ${refused}`);
    job.limits = lim.limits;
  }
  const log = parseLogOutput(where, o, d, http !== null);
  if (log) job.logOutput = log;
  if (http) {
    job.http = http;
    const written = ((o.http ?? o) as Record<string, unknown>).url as string;
    if (written !== http.url) job.submittedUrl = written;
  }
  return job;
}

/** Log fields of a job bl rotates (kept in the task logs' bounds) and whether it copies the output at all. */
export const LOG_MIN_BYTES = 1024;

/**
 * log_max_bytes (bytes ≥ 1024, null: not rotated), log_keep (0–100), log_timestamps, over the
 * broker's defaults: the job's output copied into its log by its spawn helper, or null when
 * neither rotation nor timestamps is asked for (the job writes its file itself). An http job's
 * log is written by its launcher: the fields do not apply to it.
 */
export function parseLogOutput(where: string, o: Record<string, unknown>, d: SubmitDefaults, isHttp: boolean): LogOutput | null {
  const given = o.log_max_bytes !== undefined || o.log_keep !== undefined || o.log_timestamps !== undefined;
  if (isHttp) {
    if (given) throw new BlError('bad_value', `${where}: \`log_max_bytes\`, \`log_keep\` and \`log_timestamps\` apply to a command's output, and this job is an http request`);
    return null;
  }
  let maxBytes = d.log?.maxBytes ?? null;
  if (o.log_max_bytes !== undefined) {
    const v = o.log_max_bytes;
    if (v !== null && (!Number.isInteger(v) || (v as number) < LOG_MIN_BYTES)) throw bad(where, 'log_max_bytes', `an integer number of bytes ≥ ${LOG_MIN_BYTES} (or null: not rotated)`, v);
    maxBytes = v as number | null;
  }
  let keep = d.log?.keep ?? 3;
  if (o.log_keep !== undefined) {
    if (!Number.isInteger(o.log_keep) || (o.log_keep as number) < 0 || (o.log_keep as number) > LOG_MAX_KEEP) throw bad(where, 'log_keep', `an integer from 0 to ${LOG_MAX_KEEP}`, o.log_keep);
    keep = o.log_keep as number;
  }
  let timestamps = d.log?.timestamps ?? false;
  if (o.log_timestamps !== undefined) {
    if (typeof o.log_timestamps !== 'boolean') throw bad(where, 'log_timestamps', 'true or false', o.log_timestamps);
    timestamps = o.log_timestamps;
  }
  return maxBytes === null && !timestamps ? null : { maxBytes, keep, timestamps };
}

/** `after`: a name or a list of names (ids, keys, sweep ids) the broker resolves; `after_any`. */
function parseAfter(where: string, o: Record<string, unknown>, job: NewJob): void {
  if (o.after_any !== undefined && typeof o.after_any !== 'boolean') throw bad(where, 'after_any', 'true or false', o.after_any);
  if (o.after === undefined || o.after === null) {
    if (o.after_any !== undefined) throw new BlError('bad_value', `${where}: \`after_any\` applies to a job with \`after\`, and this one has none`);
    return;
  }
  const list = typeof o.after === 'string' ? [o.after] : o.after;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === 'string' && a.trim() !== '')) {
    throw bad(where, 'after', 'a job id, key or sweep id, or a non-empty array of them', o.after);
  }
  if (list.length > MAX_AFTER) throw bad(where, 'after', `at most ${MAX_AFTER} names`, `${list.length} names`);
  job.after = (list as string[]).map((a) => a.trim());
  job.afterAny = o.after_any === true;
}

/** One submitted object: one job, or one per combination of its `params` (sweep.ts). */
export function parseJobs(raw: unknown, where: string, d: SubmitDefaults, cwds: Map<string, boolean> = new Map()): NewJob[] {
  const job = parseJob(raw, where, d, cwds);
  const o = raw as Record<string, unknown>;
  if (o.params === undefined) {
    if (o.output_root !== undefined || o.force !== undefined) {
      throw new BlError('bad_value', `${where}: \`output_root\` and \`force\` apply to a sweep, and this job has no \`params\``);
    }
    return [job];
  }
  const grid = parseParams(where, o.params);
  let outputRoot = DEFAULT_OUTPUT_ROOT;
  if (o.output_root !== undefined) {
    if (typeof o.output_root !== 'string' || o.output_root === '') throw bad(where, 'output_root', 'a path (relative ones are under the cwd)', o.output_root);
    outputRoot = o.output_root;
  }
  if (o.force !== undefined && typeof o.force !== 'boolean') throw bad(where, 'force', 'true or false', o.force);
  // One id for the submit's combinations: what a later `after` names to wait on all of them.
  const sweep = `sweep-${ulid()}`;
  return expandSweep(where, job, grid, { outputRoot, force: o.force === true }).map((j) => ({ ...j, sweep }));
}

/** A JSON body: one job object or an array of them; `single` = one object that is no sweep. */
export function parseJsonSubmit(body: unknown, d: SubmitDefaults): { jobs: NewJob[]; single: boolean } {
  if (body === undefined) throw new BlError('bad_request', 'expected a job (JSON object or array, or a text body with the command), found an empty body');
  const cwds = new Map<string, boolean>();
  if (Array.isArray(body)) {
    if (body.length === 0) throw new BlError('bad_value', 'expected at least one job in the array, found an empty array');
    return { jobs: body.flatMap((j, i) => parseJobs(j, `job ${i}`, d, cwds)), single: false };
  }
  const sweep = typeof body === 'object' && body !== null && (body as Record<string, unknown>).params !== undefined;
  return { jobs: parseJobs(body, 'job', d, cwds), single: !sweep };
}

/** A text body: the whole body is one command (BrokeredLauncher's `--submit`). */
export function parseTextSubmit(text: string, query: { urgent?: string; cwd?: string; after?: string; after_any?: string }, d: SubmitDefaults): NewJob {
  const command = text.replace(/\r?\n$/, '');
  if (command.trim() === '') throw new BlError('bad_request', 'expected the command as the request body, found an empty body');
  const urgent = query.urgent;
  if (urgent !== undefined && !['1', '0', 'true', 'false', ''].includes(urgent)) {
    throw new BlError('bad_value', `expected \`urgent\` to be 1 or 0, found ${describeText(urgent)}`);
  }
  const afterAny = query.after_any;
  if (afterAny !== undefined && !['1', '0', 'true', 'false', ''].includes(afterAny)) {
    throw new BlError('bad_value', `expected \`after_any\` to be 1 or 0, found ${describeText(afterAny)}`);
  }
  return parseJob(
    {
      command,
      urgent: urgent === '1' || urgent === 'true' || urgent === '',
      ...(query.cwd !== undefined ? { cwd: query.cwd } : {}),
      // `?after=A,B`: the names, comma-separated.
      ...(query.after !== undefined ? { after: query.after.split(',').filter((a) => a.trim() !== '') } : {}),
      ...(afterAny !== undefined ? { after_any: afterAny === '1' || afterAny === 'true' || afterAny === '' } : {}),
    },
    'job',
    d,
  );
}
