// `help` | `h [COMMAND]`: every command with its usage, or one.
import { text, type Block } from '../result.js';
import { expectArgs } from './shared.js';
import type { Command } from './types.js';

export const help: Command = {
  name: 'help',
  aliases: ['h'],
  usage: 'help [COMMAND]',
  description: 'this list, or one command',
  local: true,
  async run(ctx, args) {
    expectArgs(this, args, 0, 1);
    const all = ctx.commands();
    const chosen = args[0] ? all.filter((c) => c.name === args[0] || c.aliases.includes(args[0]!)) : all;
    if (chosen.length === 0) return { blocks: [text(`No command named ${args[0]}`, 'bad')], json: [] };
    const blocks: Block[] = [
      { kind: 'table', headers: ['COMMAND', 'ALIAS', 'WHAT'], rows: chosen.map((c) => [c.usage, c.aliases.join(', '), c.description]) },
    ];
    if (!args[0]) {
      blocks.push(text('Tab completes commands, tasks, options, job and allocation ids, and hosts; Tab twice lists them. Ctrl-D or quit leaves.', 'dim'));
      blocks.push(text('With several hosts, a command for one of them takes -host=HOST (a task or job finds its own).', 'dim'));
    }
    return { blocks, json: chosen.map((c) => ({ name: c.name, aliases: c.aliases, usage: c.usage, description: c.description })) };
  },
  complete: (ctx, i) => (i === 0 ? ctx.commandNames() : []),
};
