// `stop [T]`: one task (POST /tasks/T/stop) or every task (DELETE /tasks), as the seed.
import { action, enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const stop: Command = {
  name: 'stop',
  aliases: [],
  usage: 'stop [TASK]',
  description: "stop a task's workers, or every task's",
  // Every task of several daemons at once is not a thing to do by leaving out a name.
  route: (args) => (args[0] === undefined ? { to: 'one' } : { to: 'task', name: args[0] }),
  async run(ctx, args) {
    expectArgs(this, args, 0, 1);
    if (args.length === 0) return action(ctx, 'DELETE', '/tasks', 'Stopped every task');
    return action(ctx, 'POST', `/tasks/${enc(args[0]!)}/stop`, `Stopped ${args[0]} workers`);
  },
  // Only what can be stopped.
  complete: (ctx, i) => (i === 0 ? ctx.taskNames('running') : []),
};
