// `stop [TASK] [--with-dependents]`: one task (POST /tasks/T/stop) or every task (DELETE
// /tasks), as the seed. A task that running tasks require is refused by the daemon naming
// them; --with-dependents stops them first.
import { action, enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

const WITH_DEPENDENTS = '--with-dependents';

export const stop: Command = {
  name: 'stop',
  aliases: [],
  usage: `stop [TASK] [${WITH_DEPENDENTS}]`,
  description: "stop a task's workers (with the tasks that require it: --with-dependents), or every task's",
  // Every task of several daemons at once is not a thing to do by leaving out a name.
  route: (args) => {
    const name = args.find((a) => a !== WITH_DEPENDENTS);
    return name === undefined ? { to: 'one' } : { to: 'task', name };
  },
  async run(ctx, all) {
    const withDependents = all.includes(WITH_DEPENDENTS);
    const args = all.filter((a) => a !== WITH_DEPENDENTS);
    expectArgs(this, args, withDependents ? 1 : 0, 1);
    if (args.length === 0) return action(ctx, 'DELETE', '/tasks', 'Stopped every task');
    const query = withDependents ? '?with_dependents=1' : '';
    return action(ctx, 'POST', `/tasks/${enc(args[0]!)}/stop${query}`, `Stopped ${args[0]} workers`);
  },
  // Only what can be stopped, then the flag.
  complete: (ctx, i) => (i === 0 ? ctx.taskNames('running') : i === 1 ? Promise.resolve([WITH_DEPENDENTS]) : []),
};
