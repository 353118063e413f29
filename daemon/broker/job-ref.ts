// What a job reference (a full id, a prefix of one, the short id the dashboard shows) says
// when it names no job or several: the messages people read, built from the store's matches.
import { describe } from '../../contract/errors.js';
import { MATCH_COUNT_CAP, type IdMatches } from './store/store.js';
import type { JobRecord } from './types.js';

/** Candidates an ambiguous reference lists; the rest are counted. */
export const CANDIDATES_SHOWN = 5;
const COMMAND_SHOWN = 40;

/** A job's command as a person reads it: the command line, argv joined, or an http job's request. */
export function shownCommand(j: JobRecord): string {
  if (j.http) return `${j.http.method} ${j.http.url}`;
  return j.command ?? (j.argv ?? []).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function unknownJobMessage(ref: string): string {
  return `no job ${describe(ref)}`;
}

/**
 * `expected one job for "01J", found 7: 01J…A1 (running, sleep 30), …, and 2 more; give more
 * characters of the id`: one line, as every error message is.
 */
export function ambiguousJobMessage(ref: string, m: IdMatches): string {
  const shown = m.jobs.slice(0, CANDIDATES_SHOWN);
  const found = m.count >= MATCH_COUNT_CAP ? `at least ${MATCH_COUNT_CAP}` : String(m.count);
  const rest = m.count - shown.length;
  const more = rest > 0 ? `, and ${m.count >= MATCH_COUNT_CAP ? 'at least ' : ''}${rest} more` : '';
  const list = shown.map((j) => `${j.id} (${j.state}, ${cut(shownCommand(j))})`).join(', ');
  return `expected one job for ${describe(ref)}, found ${found}: ${list}${more}; give more characters of the id`;
}

function cut(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > COMMAND_SHOWN ? `${line.slice(0, COMMAND_SHOWN - 1)}…` : line;
}
