// `start T`: POST /tasks/T/start (the seed answers `Started task manager`).
import { action, enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const start: Command = {
  name: 'start',
  aliases: [],
  usage: 'start TASK',
  description: "start a task's workers",
  route: (args) => ({ to: 'task', name: args[0] ?? '' }),
  async run(ctx, args) {
    expectArgs(this, args, 1);
    return action(ctx, 'POST', `/tasks/${enc(args[0]!)}/start`, 'Started task manager');
  },
  // Only what can be started.
  complete: (ctx, i) => (i === 0 ? ctx.taskNames('stopped') : []),
};
