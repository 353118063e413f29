// `quit` | `exit`: leave the console (Ctrl-D too).
import type { Command } from './types.js';

export const quit: Command = {
  name: 'quit',
  aliases: ['exit'],
  usage: 'quit',
  description: 'leave the console (Ctrl-D too)',
  local: true,
  async run() {
    return { blocks: [], quit: true };
  },
};
