// `reload`: the daemon reads its config file again (POST /config/reload) and says which tasks
// it added, removed and changed; a daemon started without a file refuses (409).
import { action, expectArgs } from './shared.js';
import type { Command } from './types.js';

export const reload: Command = {
  name: 'reload',
  aliases: [],
  usage: 'reload',
  description: "read the daemon's config file again: tasks added, removed, changed",
  async run(ctx, args) {
    expectArgs(this, args, 0);
    return action(ctx, 'POST', '/config/reload', 'Reloaded');
  },
};
