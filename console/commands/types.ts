// One command per file (pueue's client side); each returns data (result.ts) and offers
// completion candidates for its argument positions.
import type { Client } from '../client.js';
import type { CommandResult } from '../result.js';

export interface CommandContext {
  /** The host this run talks to (a fanned-out command runs once per host). */
  client: Client;
  /** The host as the user wrote it (`node:8010`), for labels. */
  host: string;
  /** `--json`: commands ask the daemon for JSON and return it as `json`. */
  json: boolean;
  /** Where `submit` runs jobs (SPEC: the console's cwd). */
  cwd: string;
  /** Task names from every host, cached about a second (completion asks on each Tab). */
  taskNames(): Promise<string[]>;
  /** Job ids from every host, newest first; `state` as GET /jobs takes it. */
  jobIds(state?: string): Promise<string[]>;
  /** Hosts given, connected to, or remembered. */
  knownHosts(): string[];
  /** Every command name and alias (help's completion). */
  commandNames(): string[];
  /** Switches the hosts every command talks to (open/connect); a token is kept for them. */
  connect(hosts: string[], token?: string): Promise<CommandResult>;
  /** Usage and description of every command (help). */
  commands(): readonly Command[];
}

export interface Command {
  name: string;
  aliases: readonly string[];
  usage: string;
  description: string;
  /** Reads state: runs on every host, each result labelled by host. */
  fanOut?: boolean;
  /** `args`: the words after the command; `rest`: the raw text after it (a job's shell command). */
  run(ctx: CommandContext, args: string[], rest: string): Promise<CommandResult>;
  /** Candidates for the word at `argIndex` (0 = first argument); the engine filters by prefix. */
  complete?(ctx: CommandContext, argIndex: number, partial: string): Promise<readonly string[]> | readonly string[];
}
