// `quit` | `exit`: leave the console (Ctrl-D too).
import type { Command } from './types.js';

export const quit: Command = {
  name: 'quit',
  aliases: ['exit'],
  usage: 'quit',
  description: 'leave the console (Ctrl-D too)',
  async run() {
    return { blocks: [], quit: true };
  },
};
