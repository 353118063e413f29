// `submit CMD…` and `urgent CMD…`: POST /jobs with the console's cwd (BrokeredLauncher's
// client sent the cwd too). The command is the rest of the line as typed: a shell string.
import { UsageError } from '../../contract/flags.js';
import type { JobJson, SubmitReplyJson } from '../../contract/types.js';
import { text, type CommandResult } from '../result.js';
import type { Command, CommandContext } from './types.js';
import { tokenize } from '../line-parser.js';

/**
 * The text after `submit` goes to `/bin/sh -c` as typed, except one quoted string, which is
 * unquoted: `submit "make all; make test"` means what it would mean in a shell.
 */
export function jobCommandOf(rest: string): string {
  const toks = tokenize(rest);
  return toks.length === 1 && /^["']/.test(rest) && !toks[0]!.unterminated ? toks[0]!.value : rest;
}

/** What leads the command: `--after ID[,ID…]` (repeatable, `-after` and `=` alike) and `--after-any`. */
export interface SubmitOptions {
  after: string[];
  afterAny: boolean;
  /** The command as typed, after the options. */
  rest: string;
}

export function submitOptions(rest: string): SubmitOptions {
  const toks = tokenize(rest);
  const after: string[] = [];
  let afterAny = false;
  let i = 0;
  for (; i < toks.length; i++) {
    const m = /^--?(after|after-any)(?:=(.*))?$/.exec(toks[i]!.value);
    if (!m) break;
    if (m[1] === 'after-any') {
      if (m[2] !== undefined) throw new UsageError(`--after-any takes no value, got ${JSON.stringify(m[2])}`);
      afterAny = true;
      continue;
    }
    let value = m[2];
    if (value === undefined) value = toks[++i]?.value;
    const names = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (names.length === 0) throw new UsageError('--after: expected a job id, key or sweep id (or several, comma-separated)');
    after.push(...names);
  }
  if (afterAny && after.length === 0) throw new UsageError('--after-any applies to --after ID, and none was given');
  return { after, afterAny, rest: i < toks.length ? rest.slice(toks[i]!.start) : '' };
}

export async function submitJob(ctx: CommandContext, line: string, queue: 'normal' | 'urgent'): Promise<CommandResult> {
  const o = submitOptions(line);
  const command = jobCommandOf(o.rest);
  if (command.trim() === '') throw new UsageError(`usage: ${queue === 'urgent' ? 'urgent' : 'submit'} [--after ID[,ID…]] [--after-any] COMMAND…`);
  const body = { command, cwd: ctx.cwd, queue, env: {}, ...(o.after.length ? { after: o.after, after_any: o.afterAny } : {}) };
  const reply = await ctx.client.json<SubmitReplyJson>('POST', '/jobs', body);
  const jobs: JobJson[] = 'jobs' in reply ? reply.jobs : [reply];
  // With several daemons connected, where it went matters as much as its id.
  const where = ctx.hosts.length > 1 ? ` to ${ctx.host}` : '';
  const state = (j: JobJson) => (j.state === 'waiting' ? `waiting on ${j.after.join(', ')}` : j.state === 'cancelled' ? `cancelled: ${j.reason}` : j.state);
  return { blocks: jobs.map((j) => text(`Submitted job ${j.id}${where} (${j.queue}): ${state(j)}`, j.state === 'cancelled' ? 'bad' : 'good')), json: reply };
}

export const submit: Command = {
  name: 'submit',
  aliases: [],
  usage: 'submit [-host=HOST] [--after ID[,ID…]] [--after-any] COMMAND…',
  description: 'queue a shell command on the normal queue (cwd = here); --after: once those jobs or sweeps succeeded (--after-any: ended)',
  rawRest: true,
  run: (ctx, _args, rest) => submitJob(ctx, rest, 'normal'),
};

export const urgent: Command = {
  name: 'urgent',
  aliases: [],
  usage: 'urgent [-host=HOST] [--after ID[,ID…]] [--after-any] COMMAND…',
  description: 'queue a shell command on the urgent queue (cwd = here)',
  rawRest: true,
  run: (ctx, _args, rest) => submitJob(ctx, rest, 'urgent'),
};
