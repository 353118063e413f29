// `shutdown`: the daemon exits gracefully (POST /shutdown).
import { action, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const shutdown: Command = {
  name: 'shutdown',
  aliases: [],
  usage: 'shutdown',
  description: 'make the daemon exit gracefully',
  async run(ctx, args) {
    expectArgs(this, args, 0);
    return action(ctx, 'POST', '/shutdown', 'Daemon shutting down');
  },
};
