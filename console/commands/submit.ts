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

export async function submitJob(ctx: CommandContext, rest: string, queue: 'normal' | 'urgent'): Promise<CommandResult> {
  const command = jobCommandOf(rest);
  if (command.trim() === '') throw new UsageError(`usage: ${queue === 'urgent' ? 'urgent' : 'submit'} COMMAND…`);
  const reply = await ctx.client.json<SubmitReplyJson>('POST', '/jobs', { command, cwd: ctx.cwd, queue, env: {} });
  const jobs: JobJson[] = 'jobs' in reply ? reply.jobs : [reply];
  // With several daemons connected, where it went matters as much as its id.
  const where = ctx.hosts.length > 1 ? ` to ${ctx.host}` : '';
  return { blocks: jobs.map((j) => text(`Submitted job ${j.id}${where} (${j.queue}): ${j.state}`, 'good')), json: reply };
}

export const submit: Command = {
  name: 'submit',
  aliases: [],
  usage: 'submit [-host=HOST] COMMAND…',
  description: 'queue a shell command on the normal queue (cwd = here)',
  rawRest: true,
  run: (ctx, _args, rest) => submitJob(ctx, rest, 'normal'),
};

export const urgent: Command = {
  name: 'urgent',
  aliases: [],
  usage: 'urgent [-host=HOST] COMMAND…',
  description: 'queue a shell command on the urgent queue (cwd = here)',
  rawRest: true,
  run: (ctx, _args, rest) => submitJob(ctx, rest, 'urgent'),
};
