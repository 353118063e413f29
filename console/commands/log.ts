// `log ID [LINES] [-f]`: the end of a job's output (GET /jobs/:id/log?tail=N); with -f
// (--follow) it goes on with what the job writes until the job ends or the user leaves.
import { UsageError } from '../../contract/flags.js';
import { text, type CommandResult } from '../result.js';
import { enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const LOG_TAIL = 200;
const FOLLOW = new Set(['-f', '--follow']);

export const log: Command = {
  name: 'log',
  aliases: [],
  usage: 'log ID [LINES] [-f]',
  description: "the end of a job's output; -f follows it",
  async run(ctx, all): Promise<CommandResult> {
    const follow = all.some((a) => FOLLOW.has(a));
    const args = all.filter((a) => !FOLLOW.has(a));
    expectArgs(this, args, 1, 2);
    const n = args[1] === undefined ? LOG_TAIL : Number(args[1]);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`log: LINES must be a positive integer, got ${JSON.stringify(args[1])}`);
    const job = `/jobs/${enc(args[0]!)}`;
    const path = `${job}/log?tail=${n}`;
    if (follow) {
      if (ctx.json) throw new UsageError('log --follow prints the output as it comes; leave out --json');
      // The log route answers 404 for an unknown job itself, but only when the stream is asked
      // for, after this command has returned (the shell has opened its live view by then).
      // Asking first makes it this command's own error: exit 1, and no live view.
      await ctx.client.json('GET', job);
      return { blocks: [], follow: (onText, signal) => ctx.client.stream(`${path}&follow=1`, onText, signal) };
    }
    // Logs are text whatever the mode; --json wraps them.
    const out = await ctx.client.text('GET', path);
    return { blocks: [out === '' ? text('(no output)', 'dim') : text(out)], json: { id: args[0], log: out } };
  },
  complete: (ctx, i) => (i === 0 ? ctx.jobIds() : ['--follow']),
};
