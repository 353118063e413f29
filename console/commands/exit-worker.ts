// `exit-worker`: launchers stop taking jobs and exit when their running ones end.
import { action, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const exitWorker: Command = {
  name: 'exit-worker',
  aliases: [],
  usage: 'exit-worker',
  description: 'make every launcher exit after its running jobs',
  async run(ctx, args) {
    expectArgs(this, args, 0);
    return action(ctx, 'POST', '/broker/exit-workers', 'Launchers will exit');
  },
};
