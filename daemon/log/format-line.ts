// One log entry as the line written to stderr and to the log file: human text by default
// (`2026-12-02T16:00:24.718Z warn  T[21882] exited with code 1; …`), or one JSON object
// (`--log-json`) with the event's own fields beside time, level and msg.
import type { Level } from './level.js';

export interface LogEntry {
  time: number;
  level: Level;
  msg: string;
  /** The bus topic when the entry tells of an event. */
  event?: string | undefined;
  /** The event's data, or what a direct call adds (a `stack`). */
  fields?: Record<string, unknown> | undefined;
}

export function formatLine(e: LogEntry, json: boolean): string {
  const time = new Date(e.time).toISOString();
  if (json) {
    const o: Record<string, unknown> = { time, level: e.level, msg: e.msg };
    if (e.event !== undefined) o.event = e.event;
    // The entry's own keys first: an event field of the same name does not hide them.
    for (const [k, v] of Object.entries(e.fields ?? {})) if (!(k in o)) o[k] = v;
    return JSON.stringify(o);
  }
  // One line an entry: a message that carries a newline (an error text) stays on its line.
  let line = `${time} ${e.level.padEnd(5)} ${e.msg.replace(/\r?\n/g, '\\n')}`;
  // An exception's stack is worth its lines (JSON keeps it in the `stack` field).
  const stack = e.fields?.stack;
  if (typeof stack === 'string') line += '\n' + stack.split('\n').map((l) => `    ${l.trim()}`).join('\n');
  return line;
}
