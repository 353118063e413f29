// bl-launcher's command line (docs/spec.md "Launchers"), parsed without touching the process: main.ts
// passes argv, the environment's token and the defaults it knows (host name, pid, home).
import path from 'node:path';
import { hostToUrl, parseFlags, UsageError } from '../contract/flags.js';

export const USAGE = `usage: bl-launcher http://head:8010 -x N [--name NAME] [--token T] [--ca FILE] [--exit-when-empty]

  -x, --slots N        run up to N jobs at once (default 1)
  --name NAME          this launcher's name at the daemon (default: host name-pid)
  --token T            the daemon's auth token (or BL_TOKEN in the environment)
  --ca FILE            a CA certificate (PEM) to trust for https, beside the system's
  --exit-when-empty    exit once nothing is left for this launcher to run
  --state-dir DIR      job logs and unsent reports (default ~/.local/state/bl-launcher)
  --kill-grace MS      SIGTERM → SIGKILL delay when a job is killed (default 3000)
  -h, --help           this help

Signals: SIGINT/SIGTERM stop taking jobs and exit when the running ones have ended and been
reported; a second one kills them (they go back to the daemon's queue).`;

export interface LauncherOptions {
  url: string;
  slots: number;
  name: string;
  token: string | undefined;
  caFile: string | undefined;
  exitWhenEmpty: boolean;
  stateDir: string;
  killGraceMs: number;
  /** --idle-exit S: exit after S seconds with nothing to run (a Slurm pilot's; parsed only, for now). */
  idleExitS: number | undefined;
  /** --end-margin S: stop leasing S seconds before the allocation ends (a Slurm pilot's; parsed only, for now). */
  endMarginS: number | undefined;
  help: boolean;
}

export interface OptionDefaults {
  hostname: string;
  pid: number;
  home: string;
  envToken: string | undefined;
}

function positiveInt(flag: string, raw: string, min: number): number {
  // `-x=4` reaches here as `=4` (a short flag keeps what follows it).
  const v = raw.replace(/^=/, '');
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`expected ${flag} to be an integer ≥ ${min}, found "${v}"`);
  return n;
}

export function parseOptions(argv: readonly string[], d: OptionDefaults): LauncherOptions {
  const { values: v, positionals } = parseFlags(argv, {
    slots: { type: 'string', short: 'x' },
    name: { type: 'string' },
    token: { type: 'string' },
    ca: { type: 'string' },
    'exit-when-empty': { type: 'boolean' },
    'state-dir': { type: 'string' },
    'kill-grace': { type: 'string' },
    'idle-exit': { type: 'string' },
    'end-margin': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const help = v.help === true;
  if (!help && positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'expected the daemon address (http://head:8010), found nothing' : `expected one daemon address, found ${positionals.length}: ${positionals.join(' ')}`);
  }
  let url = '';
  if (positionals[0] !== undefined) {
    try {
      url = hostToUrl(positionals[0]);
    } catch {
      throw new UsageError(`expected the daemon address as host[:port] or a URL, found "${positionals[0]}"`);
    }
  }
  const name = (v.name as string | undefined) ?? `${d.hostname}-${d.pid}`;
  if (!/^[\w.@:-]+$/.test(name) || name === 'local') {
    throw new UsageError(`expected --name to be letters, digits and . _ - @ : (and not "local", the daemon's own launcher), found "${name}"`);
  }
  return {
    url,
    slots: v.slots === undefined ? 1 : positiveInt('-x', v.slots as string, 1),
    name,
    token: (v.token as string | undefined) ?? d.envToken,
    caFile: v.ca as string | undefined,
    exitWhenEmpty: v['exit-when-empty'] === true,
    stateDir: path.resolve((v['state-dir'] as string | undefined) ?? path.join(d.home, '.local', 'state', 'bl-launcher')),
    killGraceMs: v['kill-grace'] === undefined ? 3000 : positiveInt('--kill-grace', v['kill-grace'] as string, 0),
    idleExitS: v['idle-exit'] === undefined ? undefined : positiveInt('--idle-exit', v['idle-exit'] as string, 1),
    endMarginS: v['end-margin'] === undefined ? undefined : positiveInt('--end-margin', v['end-margin'] as string, 0),
    help,
  };
}
