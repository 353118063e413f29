// `set T cardinality N` (also stall_timeout, grace_period): POST /tasks/T/set/option/value.
import { UsageError } from '../../contract/flags.js';
import { action, enc, expectArgs, TASK_OPTIONS } from './shared.js';
import type { Command } from './types.js';

export const set: Command = {
  name: 'set',
  aliases: [],
  usage: 'set TASK OPTION VALUE',
  description: `change a task's ${TASK_OPTIONS.join(', ')}`,
  route: (args) => ({ to: 'task', name: args[0] ?? '' }),
  async run(ctx, args) {
    expectArgs(this, args, 3);
    const [task, option, value] = args as [string, string, string];
    if (!(TASK_OPTIONS as readonly string[]).includes(option)) {
      throw new UsageError(`set: the option must be one of ${TASK_OPTIONS.join(', ')}, got ${JSON.stringify(option)}`);
    }
    const fallback = option === 'cardinality' ? 'Changed workers cardinality' : `Changed ${option}`;
    return action(ctx, 'POST', `/tasks/${enc(task)}/set/${enc(option)}/${enc(value)}`, fallback);
  },
  complete(ctx, i) {
    if (i === 0) return ctx.taskNames();
    if (i === 1) return TASK_OPTIONS;
    return [];
  },
};
