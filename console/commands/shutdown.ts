// `shutdown [--keep-jobs]`: the daemon exits gracefully (POST /shutdown); with --keep-jobs its
// jobs run on under their keepers and the next daemon follows them (POST /shutdown?keep_jobs=1).
import { UsageError } from '../../contract/flags.js';
import { action, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const shutdown: Command = {
  name: 'shutdown',
  aliases: [],
  usage: 'shutdown [--keep-jobs]',
  description: 'make the daemon exit gracefully (--keep-jobs: running jobs run on, for the next daemon)',
  async run(ctx, args) {
    expectArgs(this, args, 0, 1);
    const flag = args[0];
    if (flag !== undefined && flag !== '--keep-jobs') throw new UsageError(`shutdown: expected --keep-jobs or nothing, got ${JSON.stringify(flag)}`);
    if (flag) return action(ctx, 'POST', '/shutdown?keep_jobs=1', 'Daemon shutting down; running jobs keep running');
    return action(ctx, 'POST', '/shutdown', 'Daemon shutting down');
  },
  complete: (_ctx, i) => (i === 0 ? ['--keep-jobs'] : []),
};
