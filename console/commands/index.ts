// The command table: names and aliases → command, in the order `help` lists them.
import { didYouMean } from '../../contract/did-you-mean.js';
import { alloc } from './alloc.js';
import { broker } from './broker.js';
import { cancel } from './cancel.js';
import { concurrency } from './concurrency.js';
import { connect } from './connect.js';
import { exitWorker } from './exit-worker.js';
import { help } from './help.js';
import { job } from './job.js';
import { jobs } from './jobs.js';
import { listworkers } from './listworkers.js';
import { log } from './log.js';
import { ls } from './ls.js';
import { purge } from './purge.js';
import { quit } from './quit.js';
import { reload } from './reload.js';
import { restart } from './restart.js';
import { retry } from './retry.js';
import { set } from './set.js';
import { shutdown } from './shutdown.js';
import { start } from './start.js';
import { status } from './status.js';
import { stop } from './stop.js';
import { submit, urgent } from './submit.js';
import type { Command } from './types.js';
import { urgentConcurrent } from './urgent-concurrent.js';
import { watch } from './watch.js';

export const COMMANDS: readonly Command[] = [
  ls, listworkers, status, set, start, stop, restart, reload,
  submit, urgent, jobs, job, log, cancel, retry,
  broker, concurrency, urgentConcurrent, purge, exitWorker, alloc, shutdown,
  watch, connect, help, quit,
];

const byName = new Map<string, Command>();
for (const c of COMMANDS) for (const n of [c.name, ...c.aliases]) byName.set(n, c);

export function findCommand(name: string): Command | undefined {
  return byName.get(name);
}

export function commandNames(): string[] {
  return [...byName.keys()];
}

/** The seed's message for an unknown command, plus a did-you-mean. */
export function unknownCommandMessage(name: string): string {
  const guess = didYouMean(name, byName.keys());
  return `ERROR: Command not recognised: ${name}` + (guess ? `\nDid you mean ${guess}?` : '');
}
