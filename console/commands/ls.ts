// `ls` | `list`: every known task (GET /list), running ones marked; the seed printed names.
import type { ListJson } from '../../contract/types.js';
import { stateCell, text, type CommandResult } from '../result.js';
import type { Command } from './types.js';

export const ls: Command = {
  name: 'ls',
  aliases: ['list'],
  usage: 'ls',
  description: 'list every known task',
  fanOut: true,
  async run(ctx): Promise<CommandResult> {
    const list = await ctx.client.json<ListJson>('GET', '/list');
    if (list.tasks.length === 0) return { blocks: [text('No tasks defined', 'dim')], json: list };
    return {
      blocks: [{ kind: 'table', headers: ['TASK', 'STATE'], rows: list.tasks.map((t) => [t.name, stateCell(t.running ? 'running' : 'stopped')]) }],
      json: list,
    };
  },
};
