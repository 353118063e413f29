// `open` | `connect HOST[,HOST2…] [--token T]`: every later command talks to these hosts (the
// seed's `open host:port`). A token given here is remembered for them, as `--token` is.
import { hostToUrl, UsageError } from '../../contract/flags.js';
import { expectArgs } from './shared.js';
import type { Command } from './types.js';

/** Takes `--token T`, `--token=T` (or Go-style `-token…`) out of the words. */
function splitToken(args: string[]): { hosts: string[]; token: string | undefined } {
  const hosts: string[] = [];
  let token: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const m = /^--?token(?:=(.*))?$/.exec(args[i]!);
    if (!m) {
      hosts.push(args[i]!);
      continue;
    }
    const v = m[1] ?? args[++i];
    if (v === undefined || v === '') throw new UsageError('usage: connect HOST[:PORT][,HOST2…] [--token T] (--token needs a value)');
    token = v;
  }
  return { hosts, token };
}

const urlOf = (h: string): string => {
  try {
    return hostToUrl(h);
  } catch {
    return h;
  }
};

/** `known` less the hosts in `typed`, each address once (the first spelling kept). */
export function distinctHosts(known: readonly string[], typed: readonly string[]): string[] {
  const seen = new Set(typed.map(urlOf));
  return known.filter((h) => {
    const u = urlOf(h);
    if (seen.has(u)) return false;
    seen.add(u);
    return true;
  });
}

export const connect: Command = {
  name: 'connect',
  aliases: ['open'],
  usage: 'connect HOST[:PORT][,HOST2…] [--token T]',
  description: 'talk to other daemons from now on (a token is remembered for them)',
  local: true,
  async run(ctx, args) {
    const { hosts, token } = splitToken(args);
    expectArgs(this, hosts, 1, 16);
    return ctx.connect(hosts.flatMap((a) => a.split(',')).filter(Boolean), token);
  },
  // A host once: not one already typed on the line, nor the same address spelt twice.
  complete: (ctx, _i, _partial, before) => distinctHosts(ctx.knownHosts(), before.flatMap((w) => w.split(','))),
};
