// `urgent-concurrent on|off`: urgent jobs start regardless of the limit (BrokeredLauncher's
// --enable-urgent-concurrent).
import { UsageError } from '../../contract/flags.js';
import { action, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const urgentConcurrent: Command = {
  name: 'urgent-concurrent',
  aliases: [],
  usage: 'urgent-concurrent on|off',
  description: 'let urgent jobs bypass the limit, or not',
  async run(ctx, args) {
    expectArgs(this, args, 1);
    const a = args[0]!;
    if (a !== 'on' && a !== 'off') throw new UsageError(`urgent-concurrent: expected on or off, got ${JSON.stringify(a)}`);
    return action(ctx, 'POST', `/broker/urgent-concurrent/${a === 'on' ? 'enable' : 'disable'}`, `Urgent bypass ${a}`);
  },
  complete: (_ctx, i) => (i === 0 ? ['on', 'off'] : []),
};
