// bl-launcher's command line (docs/spec.md "Launchers"), parsed without touching the process: main.ts
// passes argv, the environment's token and the defaults it knows (host name, pid, home).
import path from 'node:path';
import { hostToUrl, parseFlags, UsageError } from '../contract/flags.js';
import { parseEndAt } from './allocation-end.js';

export const USAGE = `usage: bl-launcher http://head:8010[,http://head2:8010…] -x N [--name NAME] [--token T] [--ca FILE] [--exit-when-empty]
                   [--idle-exit S] [--end-at TIME] [--end-margin S]

  Several daemons sharing one PostgreSQL store: name them all (comma-separated or one after
  another); the launcher moves to the next when the one it talks to stops answering.

  -x, --slots N        run up to N jobs at once (default 1)
  --name NAME          this launcher's name at the daemon (default: host name-pid)
  --token T            the daemon's auth token (or BL_TOKEN in the environment)
  --ca FILE            a CA certificate (PEM) to trust for https, beside the system's
  --exit-when-empty    exit once nothing is left for this launcher to run
  --state-dir DIR      job logs and unsent reports (default ~/.local/state/bl-launcher)
  --kill-grace MS      SIGTERM → SIGKILL delay when a job is killed (default 3000)
  --idle-exit SECONDS  exit 0 after that long with nothing running and nothing leased
  --end-at TIME        the allocation this launcher runs in ends then (epoch seconds or ISO);
                       under Slurm (SLURM_JOB_ID set) it is found without this flag
  --end-margin SECONDS stop leasing, and evict running jobs, that long before the end
                       (default 60); a job is only taken if its timeout ends before that
  -h, --help           this help

Signals: SIGINT/SIGTERM stop taking jobs and exit when the running ones have ended and been
reported; a second one kills them (they go back to the daemon's queue). In an allocation
(SLURM_JOB_ID or --end-at), SIGTERM and SIGUSR2 mean its end has come: running jobs are
stopped at once and go back to the head of the daemon's queue (evicted), then the launcher exits.`;

export interface LauncherOptions {
  /** The first daemon's address (what messages name). */
  url: string;
  /** Every daemon's address, in the order they are tried. */
  urls: string[];
  slots: number;
  name: string;
  token: string | undefined;
  caFile: string | undefined;
  exitWhenEmpty: boolean;
  stateDir: string;
  killGraceMs: number;
  /** --idle-exit in ms; undefined: never. */
  idleExitMs: number | undefined;
  /** --end-at (ms since the epoch). */
  endAt: number | undefined;
  endMarginMs: number;
  help: boolean;
}

export interface OptionDefaults {
  hostname: string;
  pid: number;
  home: string;
  envToken: string | undefined;
}

function seconds(flag: string, raw: string): number {
  const v = raw.trim();
  const n = Number(v);
  if (v === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`expected ${flag} to be seconds ≥ 0, found "${raw}"`);
  return n * 1000;
}

function positiveInt(flag: string, raw: string, min: number): number {
  // `-x=4` reaches here as `=4` (a short flag keeps what follows it).
  const v = raw.replace(/^=/, '');
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`expected ${flag} to be an integer ≥ ${min}, found "${v}"`);
  return n;
}

/** --end-margin's default: time for a job's SIGTERM, grace and report before Slurm's own kill. */
export const DEFAULT_END_MARGIN_S = 60;

function endAt(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  try {
    return parseEndAt(raw);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
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
    'end-at': { type: 'string' },
    'end-margin': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const help = v.help === true;
  if (!help && positionals.length === 0) throw new UsageError('expected the daemon address (http://head:8010), found nothing');
  const urls: string[] = [];
  for (const given of positionals.flatMap((p) => p.split(','))) {
    try {
      const u = hostToUrl(given.trim());
      if (!urls.includes(u)) urls.push(u);
    } catch {
      throw new UsageError(`expected each daemon address as host[:port] or a URL, found "${given}"`);
    }
  }
  const url = urls[0] ?? '';
  const name = (v.name as string | undefined) ?? `${d.hostname}-${d.pid}`;
  if (!/^[\w.@:-]+$/.test(name) || name === 'local') {
    throw new UsageError(`expected --name to be letters, digits and . _ - @ : (and not "local", the daemon's own launcher), found "${name}"`);
  }
  return {
    url,
    urls,
    slots: v.slots === undefined ? 1 : positiveInt('-x', v.slots as string, 1),
    name,
    token: (v.token as string | undefined) ?? d.envToken,
    caFile: v.ca as string | undefined,
    exitWhenEmpty: v['exit-when-empty'] === true,
    stateDir: path.resolve((v['state-dir'] as string | undefined) ?? path.join(d.home, '.local', 'state', 'bl-launcher')),
    killGraceMs: v['kill-grace'] === undefined ? 3000 : positiveInt('--kill-grace', v['kill-grace'] as string, 0),
    idleExitMs: v['idle-exit'] === undefined ? undefined : seconds('--idle-exit', v['idle-exit'] as string),
    endAt: endAt(v['end-at'] as string | undefined),
    endMarginMs: v['end-margin'] === undefined ? DEFAULT_END_MARGIN_S * 1000 : seconds('--end-margin', v['end-margin'] as string),
    help,
  };
}
