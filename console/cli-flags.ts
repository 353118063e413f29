// bl-console's flags (docs/spec.md "Console"), parsed the shared way (Go-style and GNU-style alike),
// and BrokeredLauncher's one-shot flags turned into console lines. Pure: main passes argv.
import { hostToUrl, parseFlags, UsageError, type FlagSpec } from '../contract/flags.js';

export const DEFAULT_HOST = '127.0.0.1:8010';

const SPEC = {
  host: { type: 'string', multiple: true },
  token: { type: 'string' },
  ca: { type: 'string' },
  json: { type: 'boolean' },
  command: { type: 'string', short: 'c', multiple: true },
  yes: { type: 'boolean', short: 'y' },
  help: { type: 'boolean', short: 'h' },
  status: { type: 'boolean' },
  submit: { type: 'string' },
  urgent: { type: 'string' },
  after: { type: 'string', multiple: true },
  'after-any': { type: 'boolean' },
  'increase-concurrency': { type: 'boolean' },
  'decrease-concurrency': { type: 'boolean' },
  'enable-urgent-concurrent': { type: 'boolean' },
  'disable-urgent-concurrent': { type: 'boolean' },
  purge: { type: 'boolean' },
  'purge-completed': { type: 'boolean' },
  'purge-pending': { type: 'boolean' },
  'exit-worker': { type: 'boolean' },
  exit: { type: 'boolean' },
  'list-pending': { type: 'boolean' },
  'list-running': { type: 'boolean' },
  'list-completed': { type: 'boolean' },
} satisfies FlagSpec;

/** A one-shot flag as console lines, and the question to ask first when it destroys something. */
export interface OneShot {
  flag: string;
  lines: string[];
  confirm?: string;
}

/** In BrokeredLauncher's order; `--submit`/`--urgent` are filled from their values. */
const ONE_SHOTS: [keyof typeof SPEC, string[], string?][] = [
  ['status', ['broker', 'status']],
  ['increase-concurrency', ['concurrency +']],
  ['decrease-concurrency', ['concurrency -']],
  ['enable-urgent-concurrent', ['urgent-concurrent on']],
  ['disable-urgent-concurrent', ['urgent-concurrent off']],
  ['purge', ['purge'], 'Purge every list and queue (running jobs are kept)'],
  ['purge-completed', ['purge completed'], 'Purge the completed jobs'],
  ['purge-pending', ['purge pending'], 'Purge the pending jobs (normal and urgent)'],
  ['exit-worker', ['exit-worker']],
  ['exit', ['shutdown'], 'Make the daemon exit'],
  ['list-pending', ['jobs pending']],
  ['list-running', ['jobs running']],
  ['list-completed', ['jobs completed']],
];

export interface CliOptions {
  hosts: string[];
  token?: string;
  /** A PEM file of a CA to trust besides Node's own (a daemon over https with a CA of its own). */
  ca?: string;
  json: boolean;
  yes: boolean;
  help: boolean;
  /** From `-c "a; b"` (split later) or words after the flags (`bl-console ls`). */
  commands: string[];
  oneShots: OneShot[];
}

/**
 * Without a terminal to ask on, a destructive flag runs only with -y: a script that pipes
 * `n` (or nothing) into `--purge-completed` must not purge. The refusal says why and how.
 */
export function refusalWithoutTerminal(opts: Pick<CliOptions, 'oneShots' | 'yes'>): string | undefined {
  const risky = opts.oneShots.filter((s) => s.confirm);
  if (opts.yes || risky.length === 0) return undefined;
  const flags = risky.map((s) => `--${s.flag}`).join(', ');
  const what = risky.map((s) => s.confirm!.charAt(0).toLowerCase() + s.confirm!.slice(1)).join('; ');
  return `${flags} would ${what}, and there is no terminal to confirm it on: nothing done; add -y to do it without asking`;
}

export function parseCli(argv: readonly string[]): CliOptions {
  const { values: v, positionals } = parseFlags(argv, SPEC);
  const hosts = ((v.host as string[] | undefined) ?? [DEFAULT_HOST]).flatMap((h) => h.split(',')).map((h) => h.trim()).filter(Boolean);
  if (hosts.length === 0) throw new UsageError('--host: expected HOST[:PORT][,HOST2…], got an empty value');
  for (const h of hosts) {
    try {
      hostToUrl(h);
    } catch {
      throw new UsageError(`--host: expected HOST[:PORT] or a URL, got ${JSON.stringify(h)}`);
    }
  }
  const oneShots: OneShot[] = [];
  // `--submit sleep 1` as BrokeredLauncher took it: the words after the flag are the command.
  let words = positionals;
  const after = ((v.after as string[] | undefined) ?? []).flatMap((a) => a.split(',')).map((a) => a.trim()).filter(Boolean);
  const afterFlags = [...after.map((a) => `--after ${a}`), ...(v['after-any'] ? ['--after-any'] : [])].join(' ');
  for (const q of ['submit', 'urgent'] as const) {
    const cmd = v[q] as string | undefined;
    if (cmd === undefined) continue;
    const full = [cmd, ...words].join(' ').trim();
    words = [];
    if (full === '') throw new UsageError(`--${q}: expected a command to run, got nothing`);
    oneShots.push({ flag: q, lines: [`${q} ${afterFlags ? `${afterFlags} ` : ''}${full}`] });
  }
  if ((v.after !== undefined || v['after-any']) && !oneShots.some((s) => s.flag === 'submit' || s.flag === 'urgent')) {
    throw new UsageError('--after and --after-any go with --submit or --urgent');
  }
  for (const [flag, lines, confirm] of ONE_SHOTS) if (v[flag]) oneShots.push({ flag, lines, confirm });
  const commands = [...((v.command as string[] | undefined) ?? [])];
  if (words.length) {
    if (oneShots.length) throw new UsageError(`unexpected arguments: ${words.join(' ')}`);
    commands.push(words.join(' '));
  }
  const ca = v.ca as string | undefined;
  if (ca === '') throw new UsageError('--ca: expected the path of a PEM file, got an empty value');
  return { hosts, token: v.token as string | undefined, ca, json: Boolean(v.json), yes: Boolean(v.yes), help: Boolean(v.help), commands, oneShots };
}

export const HELP = `bl-console: the console of bl-daemon

Usage:
  bl-console [-host=HOST[:PORT][,HOST2…]] [--token T] [--ca FILE] [--json]   an interactive shell (on a terminal)
  bl-console … -c "CMD; CMD"                                         run console commands and exit
  bl-console … < file                                                one command per line from stdin
  bl-console … --FLAG [-y]                                           one-shot (BrokeredLauncher's flags)

Options:
  -host, --host HOST      daemon(s) to talk to, comma-separated (default ${DEFAULT_HOST}; no port = 8010)
  --token T               bearer token for a daemon with auth (default: $BL_TOKEN), remembered
                          for these hosts: later runs against them need no --token
  --ca FILE               trust this CA (PEM) besides the system's: a daemon over https with a
                          certificate of its own
  --json                  print JSON instead of tables
  -c CMDS                 run these console commands (;-separated) and exit
  -y, --yes               do not ask before --purge*, --exit (without a terminal they
                          refuse to run unless -y is given)
  -h, --help              this help

One-shot flags:
  --status                          the broker's state and the running tasks
  --submit CMD…                     queue CMD (cwd = here) on the normal queue
  --urgent CMD…                     queue CMD on the urgent queue
  --after ID[,ID…]                  with --submit/--urgent: the job waits until these jobs (ids,
                                    keys) or sweeps have succeeded; repeatable
  --after-any                       with --after: until they have ended, however
  --increase-concurrency            job limit + 1
  --decrease-concurrency            job limit - 1
  --enable-urgent-concurrent        urgent jobs ignore the limit
  --disable-urgent-concurrent       urgent jobs obey the limit
  --purge                           clear every list and queue but running jobs (asks first; -y)
  --purge-completed                 clear the completed jobs (asks first; -y)
  --purge-pending                   clear the pending queues (asks first; -y)
  --exit-worker                     launchers exit after their running jobs
  --exit                            the daemon exits (asks first; -y)
  --list-pending, --list-running, --list-completed

Exit codes: 0 done, 1 the daemon refused or failed (or a question was answered no), 2 usage
error (a destructive flag without a terminal and without -y too), 3 cannot reach the daemon.
Type "help" in the shell for its commands.
`;
