// `broker`: the broker's state (GET /broker): limit, urgent bypass, counts, Slurm allocations,
// launchers.
// `--status` shows it (BrokeredLauncher's "current state of the Broker").
import type { BrokerJson } from '../../contract/types.js';
import { allocationStates } from '../allocation-table.js';
import { stateCell, type Block, type Cell, type CommandResult } from '../result.js';
import { ago, expectArgs } from './shared.js';
import type { Command } from './types.js';

export function brokerBlocks(b: BrokerJson): Block[] {
  const pairs: [string, Cell][] = [
    ['Concurrency', b.paused || b.concurrency === 0 ? { text: `${b.concurrency} (paused)`, tone: 'wait' } : String(b.concurrency)],
    ['Urgent bypass', b.urgent_bypass ? { text: 'on', tone: 'accent' } : 'off'],
    ['Running', String(b.running)],
    ['Pending', `${b.pending} (${b.pending_urgent} urgent)`],
  ];
  if (b.waiting) pairs.push(['Waiting', `${b.waiting} (after other jobs)`]);
  const ended = Object.entries(b.counts ?? {}).filter(([s, n]) => n > 0 && s !== 'pending' && s !== 'running' && s !== 'waiting');
  if (ended.length) pairs.push(['Ended', ended.map(([s, n]) => `${n} ${s}`).join(', ')]);
  // Only a daemon with `broker.slurm` says anything of allocations.
  if (b.allocations) {
    pairs.push(['Allocations', allocationStates(b.allocations)]);
    if (b.allocations.paused) pairs.push(['Allocations paused', { text: b.allocations.paused, tone: 'bad' }]);
  }
  const blocks: Block[] = [{ kind: 'pairs', pairs }];
  if (b.launchers?.length) {
    blocks.push({
      kind: 'table',
      headers: ['LAUNCHER', 'HOST', 'SLOTS', 'RUNNING', 'SEEN', 'STATE'],
      rows: b.launchers.map((l) => [l.name, l.host, String(l.slots), String(l.running), ago(l.last_seen_at), stateCell(l.exiting ? 'stopping' : 'running')]),
    });
  }
  return blocks;
}

export const broker: Command = {
  name: 'broker',
  aliases: ['bs'],
  usage: 'broker',
  description: "the broker's state: concurrency, queues, allocations, launchers",
  fanOut: true,
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 0);
    const b = await ctx.client.json<BrokerJson>('GET', '/broker');
    return { blocks: brokerBlocks(b), json: b };
  },
};
