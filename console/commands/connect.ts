// `open` | `connect HOST[,HOST2…]`: every later command talks to these hosts (the seed's
// `open host:port`).
import { expectArgs } from './shared.js';
import type { Command } from './types.js';

export const connect: Command = {
  name: 'connect',
  aliases: ['open'],
  usage: 'connect HOST[:PORT][,HOST2…]',
  description: 'talk to other daemons from now on',
  local: true,
  async run(ctx, args) {
    expectArgs(this, args, 1, 16);
    return ctx.connect(args.flatMap((a) => a.split(',')).filter(Boolean));
  },
  complete: (ctx) => ctx.knownHosts(),
};
