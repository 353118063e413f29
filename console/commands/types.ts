// One command per file (pueue's client side); each returns data (result.ts) and offers
// completion candidates for its argument positions.
import type { Client } from '../client.js';
import type { Candidate } from '../completion.js';
import type { CommandResult } from '../result.js';

/** Which jobs `Tab` offers: any recent one, those that can still be cancelled, or ended ones. */
export type JobChoice = 'any' | 'cancellable' | 'ended';

export interface CommandContext {
  /** The host this run talks to (a fanned-out command runs once per host). */
  client: Client;
  /** The host as the user wrote it (`node:8010`), for labels. */
  host: string;
  /** Every connected host (labels): a command that went to one of several may say which. */
  hosts: string[];
  /** `--json`: commands ask the daemon for JSON and return it as `json`. */
  json: boolean;
  /** Where `submit` runs jobs (SPEC: the console's cwd). */
  cwd: string;
  /** Task names from every host, sorted, cached about a second (completion asks on each Tab). */
  taskNames(which?: 'running' | 'stopped'): Promise<string[]>;
  /** Recent jobs from every host, newest first, each noted with its state and command. */
  jobCandidates(which?: JobChoice): Promise<Candidate[]>;
  /** Queued and running Slurm allocations of every host with Slurm, each noted with its state and node. */
  allocationCandidates(): Promise<Candidate[]>;
  /** Hosts given, connected to, or remembered. */
  knownHosts(): string[];
  /** Every command name and alias (help's completion). */
  commandNames(): string[];
  /** Switches the hosts every command talks to (open/connect); a token is kept for them. */
  connect(hosts: string[], token?: string): Promise<CommandResult>;
  /** Usage and description of every command (help). */
  commands(): readonly Command[];
}

/**
 * Where a run goes when several hosts are connected (with one, always there; `-host=H` among
 * the words always wins): every host, labelled (reads); the host that has the task or job
 * named; `one`: the user must say which.
 */
export type Route =
  | { to: 'every' }
  | { to: 'one' }
  | { to: 'task'; name: string }
  | { to: 'job'; id: string }
  | { to: 'task-or-job'; name: string };

export interface Command {
  name: string;
  aliases: readonly string[];
  usage: string;
  description: string;
  /** Reads state: runs on every host, each result labelled by host. */
  fanOut?: boolean;
  /** Talks to no daemon, or picks its own (help, quit, connect): no host to choose or name. */
  local?: boolean;
  /** Where a run goes among several hosts; default: every host when `fanOut`, else `one`. */
  route?(args: string[]): Route;
  /** Its argument is the raw text after it (a job's shell command): `-host=H` counts only first. */
  rawRest?: boolean;
  /** `args`: the words after the command; `rest`: the raw text after it (a job's shell command). */
  run(ctx: CommandContext, args: string[], rest: string): Promise<CommandResult>;
  /**
   * Candidates for the word at `argIndex` (0 = first argument), `before` the words already
   * typed after the command; the engine filters by prefix.
   */
  complete?(ctx: CommandContext, argIndex: number, partial: string, before: string[]): Promise<readonly Candidate[]> | readonly Candidate[];
}
