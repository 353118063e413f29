// `st` | `status [T]`: running tasks as a table (`No active tasks` when none, as the seed),
// or one task's status as the seed's `Key: value` lines plus the counters, its usage, and its
// last exit with the output before it.
import type { TaskJson, TasksJson } from '../../contract/types.js';
import { text, type CommandResult } from '../result.js';
import { taskBlocks, taskTable } from '../task-table.js';
import { enc, expectArgs, taskCandidates } from './shared.js';
import type { Command } from './types.js';

export const status: Command = {
  name: 'status',
  aliases: ['st'],
  usage: 'status [TASK]',
  description: 'status of the running tasks, or of one task with its last exit',
  fanOut: true,
  route: (args) => (args[0] === undefined ? { to: 'every' } : { to: 'task', name: args[0] }),
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 0, 1);
    if (args.length === 1) {
      const t = await ctx.client.json<TaskJson>('GET', `/tasks/${enc(args[0]!)}`);
      return { blocks: taskBlocks(t), json: t };
    }
    const all = await ctx.client.json<TasksJson>('GET', '/tasks');
    if (all.tasks.length === 0) return { blocks: [text('No active tasks', 'dim')], json: all };
    return { blocks: [taskTable(all.tasks)], json: all };
  },
  complete: taskCandidates,
};
