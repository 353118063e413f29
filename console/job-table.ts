// Jobs as a table (`jobs`, `watch`): the command column is the one cut to fit the terminal,
// and on a narrow one the id shows as the 8-character suffix the dashboard shows (every route
// takes it).
import type { JobJson } from '../contract/types.js';
import { stateCell, type Block, type Cell } from './result.js';
import { ago } from './commands/shared.js';

export const JOB_HEADERS = ['ID', 'STATE', 'QUEUE', 'TRY', 'WHEN', 'EXIT', 'COMMAND'];

export function jobCommand(j: JobJson): string {
  if (j.command !== null) return j.command;
  if (j.argv) return j.argv.join(' ');
  if (j.http) return `${j.http.method} ${j.http.url}`;
  return '';
}

/** The job's exit as one word: its code, or the signal that ended it. */
export function exitText(j: JobJson): string {
  return j.exit_code !== null ? String(j.exit_code) : j.signal ?? '';
}

export function jobRow(j: JobJson, now = Date.now()): Cell[] {
  const when = j.finished_at ?? j.started_at ?? j.submitted_at;
  // Commands are one line in a table: a newline in one would break the row.
  const command = jobCommand(j).replace(/\s*\n\s*/g, ' ⏎ ');
  return [{ text: j.id, short: j.id.slice(-8) }, stateCell(j.state), j.queue, String(j.attempt), ago(when, now), exitText(j), command];
}

export function jobTable(jobs: JobJson[], now = Date.now()): Block {
  return { kind: 'table', headers: JOB_HEADERS, rows: jobs.map((j) => jobRow(j, now)), flex: JOB_HEADERS.length - 1 };
}

/** How a job ended, for the end of a followed log: `--- job 01… succeeded (exit 0)`. */
export function jobEndLine(j: JobJson): string {
  if (j.state === 'pending' || j.state === 'running' || j.state === 'waiting') return `--- the log stream ended; job ${j.id} is ${j.state}`;
  const how = j.exit_code !== null ? ` (exit ${j.exit_code})` : j.signal ? ` (${j.signal})` : '';
  return `--- job ${j.id} ${j.state}${how}${j.reason ? `: ${j.reason}` : ''}`;
}
