// `alloc [ls]`, `alloc add [N]`, `alloc cancel ID`, `alloc resume`: the Slurm allocations the
// daemon submits to run bl-launchers (GET/POST /broker/allocations, DELETE …/:id, POST
// …/resume). A daemon without `broker.slurm` refuses each with 409 and says why; that message
// is what the console shows.
import { UsageError } from '../../contract/flags.js';
import type { AllocationsJson } from '../../contract/types.js';
import { allocationBlocks } from '../allocation-table.js';
import type { CommandResult } from '../result.js';
import { action, enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const ALLOC_SUBCOMMANDS = ['ls', 'add', 'cancel', 'resume'] as const;

export type AllocArgs = { sub: 'ls' } | { sub: 'add'; count: number } | { sub: 'cancel'; id: string } | { sub: 'resume' };

/** The words after `alloc`; a usage error (exit 2) says what was expected. */
export function parseAllocArgs(args: readonly string[]): AllocArgs {
  const [sub = 'ls', ...rest] = args;
  const usage = (u: string, min: number, max = min) => expectArgs({ usage: `alloc ${u}` }, rest, min, max);
  switch (sub) {
    case 'ls':
      usage('[ls]', 0);
      return { sub };
    case 'add': {
      usage('add [N]', 0, 1);
      const n = rest[0] ?? '1';
      if (!/^\d+$/.test(n) || Number(n) < 1) throw new UsageError(`alloc add: expected how many allocations to submit (1 or more), got ${JSON.stringify(n)}`);
      return { sub, count: Number(n) };
    }
    case 'cancel':
      usage('cancel ID', 1);
      return { sub, id: rest[0]! };
    case 'resume':
      usage('resume', 0);
      return { sub };
    default:
      throw new UsageError(`alloc: expected ${ALLOC_SUBCOMMANDS.join(', ')} or nothing, got ${JSON.stringify(sub)}`);
  }
}

export const alloc: Command = {
  name: 'alloc',
  aliases: ['allocations'],
  usage: 'alloc [ls | add [N] | cancel ID | resume]',
  description: 'Slurm allocations running launchers: list, submit N now, cancel one, resume submitting',
  // The list is a read (every host); the rest acts on one daemon. A bad line is refused before
  // any host is asked which.
  route: (args) => (parseAllocArgs(args).sub === 'ls' ? { to: 'every' } : { to: 'one' }),
  async run(ctx, args): Promise<CommandResult> {
    const a = parseAllocArgs(args);
    switch (a.sub) {
      case 'ls': {
        const list = await ctx.client.json<AllocationsJson>('GET', '/broker/allocations');
        return { blocks: allocationBlocks(list), json: list };
      }
      case 'add':
        return action(ctx, 'POST', '/broker/allocations', `Submitted ${a.count} allocation${a.count === 1 ? '' : 's'}`, { count: a.count });
      case 'cancel':
        return action(ctx, 'DELETE', `/broker/allocations/${enc(a.id)}`, `Cancelled allocation ${a.id}`);
      case 'resume':
        return action(ctx, 'POST', '/broker/allocations/resume', 'Resumed submitting allocations');
    }
  },
  complete: (ctx, i, _partial, before) => {
    if (i === 0) return ALLOC_SUBCOMMANDS;
    return i === 1 && before[0] === 'cancel' ? ctx.allocationCandidates() : [];
  },
};
