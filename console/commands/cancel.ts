// `cancel ID`: cancel a pending job or kill a running one (DELETE /jobs/:id).
import { action, enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const cancel: Command = {
  name: 'cancel',
  aliases: [],
  usage: 'cancel ID',
  description: 'cancel a pending job, kill a running one',
  route: (args) => ({ to: 'job', id: args[0] ?? '' }),
  async run(ctx, args) {
    expectArgs(this, args, 1);
    return action(ctx, 'DELETE', `/jobs/${enc(args[0]!)}`, `Cancelled job ${args[0]}`);
  },
  // Only jobs that can still be cancelled.
  complete: (ctx, i) => (i === 0 ? ctx.jobCandidates('cancellable') : []),
};
