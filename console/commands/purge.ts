// `purge [completed|pending]`: clear lists and queues (running jobs are kept).
import { UsageError } from '../../contract/flags.js';
import { action, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const purge: Command = {
  name: 'purge',
  aliases: [],
  usage: 'purge [completed|pending]',
  description: 'clear every list and queue but running jobs, or only completed / pending',
  async run(ctx, args) {
    expectArgs(this, args, 0, 1);
    const what = args[0];
    if (what !== undefined && what !== 'completed' && what !== 'pending') {
      throw new UsageError(`purge: expected completed, pending or nothing, got ${JSON.stringify(what)}`);
    }
    return action(ctx, 'POST', `/broker/purge${what ? `-${what}` : ''}`, what ? `Purged ${what} jobs` : 'Purged');
  },
  complete: (_ctx, i) => (i === 0 ? ['completed', 'pending'] : []),
};
