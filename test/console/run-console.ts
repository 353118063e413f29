// Runs bl-console as a program without a terminal (one-shot flags, -c, stdin): its exit code and
// what it printed, or its output while it runs (a followed log). Its settings (history, tokens
// per host) go to a directory the test gives, never the user's; BL_TOKEN from the test's
// environment is not passed on, so a token is only what the test gives.
import { spawn } from 'node:child_process';
import { programArgv } from '../helpers/daemon.js';

export interface Ran {
  code: number | null;
  out: string;
  err: string;
}

export interface ConsoleOptions {
  /** BL_CONSOLE_CONFIG_DIR. */
  confDir: string;
  /** Written to its stdin, which is then closed. */
  input?: string;
  env?: Record<string, string>;
}

export interface RunningConsole {
  /** stdout so far. */
  out(): string;
  /** Resolves when it has exited and its output is read. */
  done: Promise<Ran>;
}

export function startConsole(args: string[], o: ConsoleOptions): RunningConsole {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', BL_CONSOLE_CONFIG_DIR: o.confDir };
  delete env.BL_TOKEN;
  const p = spawn(process.execPath, [...programArgv('console/main'), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, ...o.env } });
  let out = '';
  let err = '';
  p.stdout.setEncoding('utf8').on('data', (c) => (out += c));
  p.stderr.setEncoding('utf8').on('data', (c) => (err += c));
  p.stdin.end(o.input ?? '');
  return { out: () => out, done: new Promise((resolve) => p.on('close', (code) => resolve({ code, out, err }))) };
}

export function runConsole(args: string[], o: ConsoleOptions): Promise<Ran> {
  return startConsole(args, o).done;
}
