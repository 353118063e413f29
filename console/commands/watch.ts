// `watch`: a live view of tasks and jobs until a key is pressed (the Ink front end polls);
// read from a pipe it prints one look and returns.
import { fetchSnapshot, snapshotBlocks } from '../snapshot.js';
import type { CommandResult } from '../result.js';
import { expectArgs } from './shared.js';
import type { Command } from './types.js';

export const watch: Command = {
  name: 'watch',
  aliases: [],
  usage: 'watch',
  description: 'a live view of tasks and jobs (any key leaves it)',
  fanOut: true,
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 0);
    const s = await fetchSnapshot(ctx.client, true);
    if (!s.connected) throw new Error(s.error);
    return { blocks: snapshotBlocks(s), json: s, watch: true };
  },
};
