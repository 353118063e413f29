// `retry ID`: a new attempt of an ended job (POST /jobs/:id/retry).
import { action, enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const retry: Command = {
  name: 'retry',
  aliases: [],
  usage: 'retry ID',
  description: 'run an ended job again',
  route: (args) => ({ to: 'job', id: args[0] ?? '' }),
  async run(ctx, args) {
    expectArgs(this, args, 1);
    return action(ctx, 'POST', `/jobs/${enc(args[0]!)}/retry`, `Retrying job ${args[0]}`);
  },
  complete: (ctx, i) => (i === 0 ? ctx.jobCandidates('ended') : []),
};
