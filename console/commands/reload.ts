// `reload [--dry-run]`: the daemon reads its config file again (POST /config/reload) and says
// what it did, a line a task (started, stopped, restarted and why, changed) and setting; with
// --dry-run it only says what it would do (POST /config/check). A daemon started without a
// file refuses (409).
import { UsageError } from '../../contract/flags.js';
import { action } from './shared.js';
import type { Command } from './types.js';

const DRY_RUN = '--dry-run';

export const reload: Command = {
  name: 'reload',
  aliases: [],
  usage: `reload [${DRY_RUN}]`,
  description: "read the daemon's config file again: tasks started, stopped, restarted, changed (--dry-run: only say it)",
  async run(ctx, args) {
    const unknown = args.filter((a) => a !== DRY_RUN);
    if (unknown.length) throw new UsageError(`usage: ${this.usage} (got ${unknown.map((a) => JSON.stringify(a)).join(' ')})`);
    if (args.includes(DRY_RUN)) return action(ctx, 'POST', '/config/check', 'Checked');
    return action(ctx, 'POST', '/config/reload', 'Reloaded');
  },
  complete: (_ctx, i) => (i === 0 ? [DRY_RUN] : []),
};
