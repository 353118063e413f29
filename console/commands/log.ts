// `log ID [N]`: the end of a job's output (GET /jobs/:id/log?tail=N).
import { UsageError } from '../../daemon/contract/flags.js';
import { text, type CommandResult } from '../result.js';
import { enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const LOG_TAIL = 200;

export const log: Command = {
  name: 'log',
  aliases: [],
  usage: 'log ID [LINES]',
  description: "the end of a job's output",
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 1, 2);
    const n = args[1] === undefined ? LOG_TAIL : Number(args[1]);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`log: LINES must be a positive integer, got ${JSON.stringify(args[1])}`);
    // Logs are text whatever the mode; --json wraps them.
    const out = await ctx.client.text('GET', `/jobs/${enc(args[0]!)}/log?tail=${n}`);
    return { blocks: [out === '' ? text('(no output)', 'dim') : text(out)], json: { id: args[0], log: out } };
  },
  complete: (ctx, i) => (i === 0 ? ctx.jobIds() : []),
};
