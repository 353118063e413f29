// `ls` | `list`: every known task with its state, workers live/desired, restarts, CPU and
// memory, and why it last lost a worker when it is not running well (the seed printed names).
import type { ListJson, TaskJson, TasksJson } from '../../contract/types.js';
import { DaemonError } from '../client.js';
import { text, type CommandResult } from '../result.js';
import { lsTable } from '../task-table.js';
import { enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const ls: Command = {
  name: 'ls',
  aliases: ['list'],
  usage: 'ls',
  description: 'every known task: state, workers, restarts, CPU, memory, last exit',
  fanOut: true,
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 0);
    const [list, live] = await Promise.all([ctx.client.json<ListJson>('GET', '/list'), ctx.client.json<TasksJson>('GET', '/tasks')]);
    if (list.tasks.length === 0) return { blocks: [text('No tasks defined', 'dim')], json: { tasks: [] } };
    // GET /tasks has the running ones; a stopped one is asked for by name.
    const byName = new Map(live.tasks.map((t) => [t.name, t]));
    const tasks = await Promise.all(
      list.tasks.map(async (t): Promise<TaskJson | undefined> => {
        const known = byName.get(t.name);
        if (known) return known;
        try {
          return await ctx.client.json<TaskJson>('GET', `/tasks/${enc(t.name)}`);
        } catch (e) {
          // Removed since the list was read (a reload).
          if (e instanceof DaemonError && e.status === 404) return undefined;
          throw e;
        }
      }),
    );
    const found = tasks.filter((t): t is TaskJson => t !== undefined);
    return { blocks: [lsTable(found)], json: { tasks: found } };
  },
};
