// Small pieces several commands share: argument checks, the daemon's text for actions,
// time and job formatting.
import { UsageError } from '../../contract/flags.js';
import type { JobJson } from '../../contract/types.js';
import { text, stateCell, type Cell, type CommandResult } from '../result.js';
import type { Command, CommandContext } from './types.js';

export const TASK_OPTIONS = ['cardinality', 'stall_timeout', 'grace_period'] as const;
export const JOB_FILTERS = ['pending', 'running', 'completed', 'errors'] as const;

/** Throws a usage error (exit 2) naming the command's usage when the count is off. */
export function expectArgs(cmd: Pick<Command, 'usage'>, args: string[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const got = args.length === 0 ? 'none' : args.map((a) => JSON.stringify(a)).join(' ');
    throw new UsageError(`usage: ${cmd.usage} (got ${min === max ? '' : 'arguments: '}${got})`);
  }
}

export const enc = encodeURIComponent;

/**
 * An action the daemon answers in words (the seed's `Changed workers cardinality`): print the
 * daemon's own text; `fallback` only when it sent none. With --json, the daemon's JSON.
 */
export async function action(ctx: CommandContext, method: string, path: string, fallback: string, body?: unknown): Promise<CommandResult> {
  const r = await ctx.client.send<unknown>(method, path, { body, accept: ctx.json ? 'application/json' : 'text/plain' });
  const said = ctx.json ? fallback : r.text.trim() || fallback;
  return { blocks: [text(said, 'good')], json: r.json ?? { ok: true, message: said } };
}

export async function taskCandidates(ctx: CommandContext, argIndex: number): Promise<readonly string[]> {
  return argIndex === 0 ? ctx.taskNames() : [];
}

/** `2026-11-23T18:05:55Z` → `12s ago`; the exact time stays in `job ID`. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return iso;
  if (s < 0) return 'in ' + span(-s);
  return span(s) + ' ago';
}

function span(s: number): string {
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 129600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export function shorten(s: string, max = 60): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export function jobCommand(j: JobJson): string {
  if (j.command !== null) return j.command;
  if (j.argv) return j.argv.join(' ');
  if (j.http) return `${j.http.method} ${j.http.url}`;
  return '';
}

export const JOB_HEADERS = ['ID', 'STATE', 'QUEUE', 'TRY', 'WHEN', 'EXIT', 'COMMAND'];

export function jobRow(j: JobJson, now = Date.now()): Cell[] {
  const when = j.finished_at ?? j.started_at ?? j.submitted_at;
  const exit = j.exit_code !== null ? String(j.exit_code) : j.signal ?? '';
  return [j.id, stateCell(j.state), j.queue, String(j.attempt), ago(when, now), exit, shorten(jobCommand(j))];
}
