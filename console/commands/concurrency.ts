// `concurrency [+|-|N]`: show or change how many jobs run at once.
import { UsageError } from '../../contract/flags.js';
import type { BrokerJson } from '../../contract/types.js';
import { text } from '../result.js';
import { action, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const concurrency: Command = {
  name: 'concurrency',
  aliases: [],
  usage: 'concurrency [+|-|N]',
  description: 'show the job limit, raise or lower it by one, or set it',
  route: (args) => (args.length === 0 ? { to: 'every' } : { to: 'one' }),
  async run(ctx, args) {
    expectArgs(this, args, 0, 1);
    const a = args[0];
    if (a === undefined) {
      const b = await ctx.client.json<BrokerJson>('GET', '/broker');
      return { blocks: [text(`Concurrency: ${b.concurrency}${b.concurrency === 0 ? ' (paused)' : ''}`)], json: { concurrency: b.concurrency } };
    }
    if (a === '+') return action(ctx, 'POST', '/broker/concurrency/increase', 'Increased concurrency');
    if (a === '-') return action(ctx, 'POST', '/broker/concurrency/decrease', 'Decreased concurrency');
    if (!/^\d+$/.test(a)) throw new UsageError(`concurrency: expected +, - or a non-negative integer, got ${JSON.stringify(a)}`);
    return action(ctx, 'PUT', `/broker/concurrency/${a}`, `Concurrency set to ${a}`);
  },
  complete: (_ctx, i) => (i === 0 ? ['+', '-'] : []),
};
