// Small pieces several commands share: argument checks, the daemon's text for actions, times.
import { UsageError } from '../../contract/flags.js';
import { text, type CommandResult } from '../result.js';
import type { Command, CommandContext } from './types.js';

export const TASK_OPTIONS = ['cardinality', 'stall_timeout', 'grace_period'] as const;
export const JOB_FILTERS = ['waiting', 'pending', 'running', 'completed', 'errors'] as const;

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
