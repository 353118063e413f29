// `restart T`: rolling restart (POST /tasks/T/restart).
import { action, enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const restart: Command = {
  name: 'restart',
  aliases: [],
  usage: 'restart TASK',
  description: "replace a task's workers one by one",
  route: (args) => ({ to: 'task', name: args[0] ?? '' }),
  async run(ctx, args) {
    expectArgs(this, args, 1);
    return action(ctx, 'POST', `/tasks/${enc(args[0]!)}/restart`, `Restarting ${args[0]} workers`);
  },
  complete: (ctx, i) => (i === 0 ? ctx.taskNames('running') : []),
};
