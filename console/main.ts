#!/usr/bin/env node
// bl-console: the only console file that reads argv, env and the terminal. It picks the front
// end: one-shot flags, `-c`, stdin lines, or the Ink shell (imported only then: start-up speed).
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { rootCertificates } from 'node:tls';
import { UsageError } from '../contract/flags.js';
import { HELP, parseCli, refusalWithoutTerminal, type CliOptions } from './cli-flags.js';
import { runOneShots, runStatements, runStdin, type Streams } from './batch.js';
import { EXIT, Session, type ExitCode } from './session.js';
import { openHistory } from './history.js';

const streams: Streams = { out: process.stdout, err: process.stderr };

// `bl-console --status | head -1`: the reader has what it wanted and went away. Nothing more
// can be shown, and that is no failure of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(EXIT.ok);
  throw e;
});

/** Token writes still under way; the process waits for them before it exits. */
const saving: Promise<void>[] = [];

function exit(code: ExitCode): void {
  // Let piped output drain before leaving.
  process.stdout.write('', () => process.exit(code));
}

/**
 * Every request of this process trusts `file`'s CA too: fetch's dispatcher is undici's global
 * one, which undici's own copy sets (imported only then). Node reads NODE_EXTRA_CA_CERTS at
 * start only, so a flag cannot go through it.
 */
async function trustCa(file: string): Promise<void> {
  const pem = await readFile(file, 'utf8');
  const { Agent, setGlobalDispatcher } = await import('undici');
  setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, pem] } }));
}

async function main(): Promise<ExitCode> {
  let opts: CliOptions;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bl-console: ${e.message}\nTry bl-console --help.\n`);
    return EXIT.usage;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  if (opts.ca !== undefined) {
    try {
      await trustCa(opts.ca);
    } catch (e) {
      process.stderr.write(`bl-console: --ca: cannot read ${opts.ca}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return EXIT.usage;
    }
  }
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const configDir = process.env.BL_CONSOLE_CONFIG_DIR;
  // Tokens per host live in the settings file (history.ts); it is opened only to keep a token
  // or when a daemon answers 401, so a daemon without auth costs no settings read.
  const rememberToken = (urls: string[], token: string) => {
    const s = openHistory(configDir).then((h) => h.setToken(urls, token));
    saving.push(s.catch((e: unknown) => void process.stderr.write(`bl-console: could not remember the token: ${(e as Error).message}\n`)));
  };
  const tokenFor = async (url: string) => (await openHistory(configDir)).token(url);
  // Tables fit the terminal's width as it is when they are drawn; a pipe gets them whole.
  const width = () => (process.stdout.isTTY ? process.stdout.columns : undefined);
  const session = new Session({ hosts: opts.hosts, token: opts.token ?? process.env.BL_TOKEN, json: opts.json, color, width, cwd: process.cwd(), tokenFor, rememberToken });
  // `--token T` is kept for these hosts (BL_TOKEN is the environment's to keep, not ours).
  if (opts.token) rememberToken(session.hosts.map((h) => h.client.base), opts.token);

  if (opts.oneShots.length) {
    const interactive = process.stdin.isTTY === true && !opts.yes;
    const refusal = interactive ? undefined : refusalWithoutTerminal(opts);
    if (refusal) {
      process.stderr.write(`bl-console: ${refusal}\n`);
      return EXIT.usage;
    }
    let ask: ((q: string) => boolean) | undefined;
    if (interactive) {
      const { default: rl } = await import('readline-sync');
      ask = (q) => /^y(es)?$/i.test(rl.question(q).trim());
    }
    return runOneShots(session, opts.oneShots, streams, ask);
  }
  if (opts.commands.length) return (await runStatements(session, opts.commands, streams)).code;
  // The shell needs a terminal both ways; `bl-console | tee x` reads lines like a pipe does.
  if (process.stdin.isTTY && process.stdout.isTTY) {
    const early = (await import('./instant-prompt.js')).showInstantPrompt(process.stdin, process.stdout);
    // Production React: the development build costs ~150 ms more to load and checks nothing we need.
    process.env.NODE_ENV ??= 'production';
    // A terminal on both ends is a person, even where CI=true is set (a CI job running the
    // console in tmux, a shell opened from a CI runner): Ink would draw only the last frame.
    for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) if (k in process.env) process.env[k] = 'false';
    // Ask the daemons for the status line now: the answer arrives while Ink loads.
    const firstLook = session.look(false);
    const { runInteractive } = await import('./ui/run-interactive.js');
    return runInteractive({ session, configDir, early, firstLook });
  }
  const r = await runStdin(session, process.stdin, streams);
  // BrokeredLauncher: no option (and nothing on stdin) shows the help.
  if (r.ran === 0) process.stdout.write(HELP);
  return r.code;
}

main().then(async (code) => {
  await Promise.all(saving);
  exit(code);
}, (e: unknown) => {
  // A bug of ours: one line, not a stack trace (BL_DEBUG=1 shows it).
  process.stderr.write(`bl-console: ${(e as Error)?.message ?? String(e)}\n`);
  if (process.env.BL_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
  exit(EXIT.refused);
});
