// JobRecord → the contract's JobJson (ISO times), and the text forms curl users see.
import type { JobJson } from '../../contract/types.js';
import { logOutputText } from '../../contract/run.js';
import { keyValueLines, rfc3339 } from './respond.js';
import type { JobRecord } from '../broker/types.js';
import { shownCommand } from '../broker/job-ref.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function jobJson(j: JobRecord): JobJson {
  return {
    id: j.id,
    command: j.command,
    argv: j.argv,
    http: j.http,
    cwd: j.cwd,
    env: j.env,
    queue: j.queue,
    timeout: j.timeout,
    idle_cpu: j.idleCpu,
    retries: j.retries,
    key: j.key,
    labels: j.labels,
    params: j.params,
    sweep: j.sweep ?? null,
    after: j.after ?? [],
    after_any: j.afterAny ?? false,
    log_max_bytes: j.logOutput?.maxBytes ?? null,
    log_keep: j.logOutput?.maxBytes ? j.logOutput.keep : null,
    log_timestamps: j.logOutput?.timestamps ?? false,
    state: j.state,
    attempt: j.attempt,
    launcher: j.launcher,
    host: j.host,
    pid: j.pid,
    submitted_at: iso(j.submittedAt)!,
    started_at: iso(j.startedAt),
    finished_at: iso(j.finishedAt),
    exit_code: j.exitCode,
    signal: j.signal,
    usage: j.usage,
    reason: j.reason,
    limits: j.limits ?? null,
  };
}

/** The columns of jobLine, named as the console's `jobs` names them. */
export const JOB_LINE_HEADER = ['ID', 'STATE', 'QUEUE', 'TRY', 'EXIT', 'SUBMITTED', 'COMMAND'].join('\t');

/** One line a job, columns separated by tabs (the seed's lists were tab-separated). */
export function jobLine(j: JobRecord): string {
  const exit = j.signal ?? (j.exitCode === null ? '-' : String(j.exitCode));
  return [j.id, j.state, j.queue, String(j.attempt), exit, rfc3339(j.submittedAt), shownCommand(j)].join('\t');
}

export function jobDetail(j: JobRecord): string {
  const pairs: [string, string][] = [
    ['Job', j.id],
    ['State', j.state],
    ['Command', shownCommand(j)],
    ['Cwd', j.cwd],
    ['Queue', j.queue],
    ['Attempt', `${j.attempt} of ${j.retries + 1}`],
    ['Timeout', j.timeout ? `${j.timeout} s` : 'none'],
    ['Launcher', j.launcher ?? '-'],
    ['Host', j.host ?? '-'],
    ['Pid', j.pid === null ? '-' : String(j.pid)],
    ['Submitted at', rfc3339(j.submittedAt)],
    ['Started at', rfc3339(j.startedAt)],
    ['Finished at', rfc3339(j.finishedAt)],
    ['Exit code', j.exitCode === null ? '-' : String(j.exitCode)],
    ['Signal', j.signal ?? '-'],
  ];
  if (j.key) pairs.push(['Key', j.key]);
  if (j.sweep) pairs.push(['Sweep', j.sweep]);
  if (j.after?.length) pairs.push([j.afterAny ? 'After (any end)' : 'After', j.after.join(', ')]);
  // A sweep's combination, as BL_PARAMS gave it to the job.
  if (j.params) pairs.push(['Params', j.env.BL_PARAMS ?? JSON.stringify(j.params)]);
  if (j.usage) {
    pairs.push(['CPU', `${j.usage.cpu_last}% (max ${j.usage.cpu_max}%)`]);
    pairs.push(['RSS', `${mb(j.usage.rss_last)} MB (max ${mb(j.usage.rss_max)} MB)`]);
  }
  if (j.logOutput) pairs.push(['Log', logOutputText(j.logOutput)]);
  if (j.reason) pairs.push(['Reason', j.reason]);
  for (const [k, v] of Object.entries(j.labels)) pairs.push([`Label ${k}`, v]);
  return keyValueLines(pairs);
}

const mb = (b: number): string => (b / 1048576).toFixed(1);
