// Runs console lines against one or more hosts: parse, find the command, fan reads out to
// every host (labelled), turn errors into `ERROR: …` lines and the SPEC's exit codes.
// Shared by the Ink app, stdin mode, `-c` and the one-shot flags.
import { hostToUrl, UsageError } from '../contract/flags.js';
import type { JobPageJson, ListJson } from '../contract/types.js';
import { Client, DaemonError, UnreachableError } from './client.js';
import { COMMANDS, commandNames, findCommand, unknownCommandMessage } from './commands/index.js';
import type { CommandContext } from './commands/types.js';
import { completeLine, type Completion } from './completion.js';
import { restAfterFirstWord, words, type CursorWord } from './line-parser.js';
import { renderResult, paint } from './render-text.js';
import type { CommandResult, Follow } from './result.js';
import { fetchSnapshot, type Snapshot } from './snapshot.js';

export type ExitCode = 0 | 1 | 2 | 3;
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

/** The worse of two exit codes: an unreachable daemon outranks a refusal, which outranks a usage error. */
export function worse(a: ExitCode, b: ExitCode): ExitCode {
  const rank = [0, 2, 1, 3];
  return rank[b]! > rank[a]! ? b : a;
}

export interface OutLine {
  text: string;
  err?: boolean;
}

export interface Outcome {
  lines: OutLine[];
  code: ExitCode;
  quit?: boolean;
  watch?: boolean;
  /** log --follow: text that keeps coming after `lines` (one host only). */
  follow?: Follow;
}

export interface Host {
  /** As the user wrote it: `node:8010`. */
  label: string;
  client: Client;
}

export interface SessionOptions {
  hosts: string[];
  token?: string;
  json?: boolean;
  color?: boolean;
  cwd: string;
  /** Hosts remembered from earlier runs (completion of `connect`). */
  knownHosts?: string[];
  /** Called when `connect` switches hosts (the app remembers them). */
  onConnect?: (hosts: string[]) => void;
  /** How long completion candidates from the daemon stay fresh (SPEC: about a second). */
  cacheMs?: number;
  /** The token remembered for a daemon (by base URL), tried when it answers 401. */
  tokenFor?: (baseUrl: string) => Promise<string | undefined>;
  /** Keeps a token given with `--token` or to `connect` for these daemons (base URLs). */
  rememberToken?: (baseUrls: string[], token: string) => void;
}

export function makeHosts(specs: string[], token?: string, tokenFor?: SessionOptions['tokenFor']): Host[] {
  return specs.map((label) => ({ label, client: new Client(hostToUrl(label), token, undefined, tokenFor) }));
}

export class Session {
  hosts: Host[];
  private readonly cache = new Map<string, { at: number; value: Promise<string[]> }>();
  private readonly known: Set<string>;

  constructor(readonly opts: SessionOptions) {
    this.hosts = makeHosts(opts.hosts, opts.token, opts.tokenFor);
    this.known = new Set([...opts.hosts, ...(opts.knownHosts ?? [])]);
  }

  get json(): boolean {
    return this.opts.json ?? false;
  }

  /** Runs one line; never throws. */
  async run(line: string): Promise<Outcome> {
    const argv = words(line);
    if (argv.length === 0) return { lines: [], code: 0 };
    const cmd = findCommand(argv[0]!);
    if (!cmd) return { lines: unknownCommandMessage(argv[0]!).split('\n').map((t) => ({ text: t, err: true })), code: EXIT.usage };
    const args = argv.slice(1);
    const rest = restAfterFirstWord(line);
    const targets = cmd.fanOut ? this.hosts : this.hosts.slice(0, 1);
    const runs = await Promise.all(
      targets.map(async (h) => {
        try {
          return { host: h, result: await cmd.run(this.context(h), args, rest) };
        } catch (e) {
          return { host: h, error: e };
        }
      }),
    );
    const out: Outcome = { lines: [], code: 0 };
    const label = targets.length > 1;
    const jsonByHost: Record<string, unknown> = {};
    for (const r of runs) {
      if (label && !this.json) out.lines.push({ text: paint(`── ${r.host.label}`, 'accent', this.opts.color ?? false) });
      if ('error' in r) {
        const [code, message] = this.describeError(r.error);
        out.code = worse(out.code, code);
        out.lines.push({ text: `ERROR: ${message}`, err: true });
        continue;
      }
      const res = r.result as CommandResult;
      if (res.quit) out.quit = true;
      if (res.watch) out.watch = true;
      if (res.follow && targets.length === 1) out.follow = res.follow;
      if (this.json) jsonByHost[r.host.label] = res.json ?? null;
      else out.lines.push(...renderResult(res, this.opts.color ?? false).map((text) => ({ text })));
    }
    if (this.json && Object.keys(jsonByHost).length) {
      const value = label ? jsonByHost : Object.values(jsonByHost)[0];
      if (value !== null && value !== undefined) out.lines.push(...JSON.stringify(value, null, 2).split('\n').map((text) => ({ text })));
    }
    return out;
  }

  describeError(e: unknown): [ExitCode, string] {
    if (e instanceof UsageError) return [EXIT.usage, e.message];
    if (e instanceof UnreachableError) return [EXIT.unreachable, e.message];
    if (e instanceof DaemonError) return [EXIT.refused, e.message];
    return [EXIT.refused, (e as Error)?.message ?? String(e)];
  }

  context(host: Host): CommandContext {
    return {
      client: host.client,
      host: host.label,
      json: this.json,
      cwd: this.opts.cwd,
      taskNames: () => this.taskNames(),
      jobIds: (state) => this.jobIds(state),
      knownHosts: () => [...this.known],
      commandNames,
      commands: () => COMMANDS,
      connect: (hosts, token) => this.connect(hosts, token),
    };
  }

  /** Memoises a daemon look-up for `cacheMs`, per host; a failed one is not kept. */
  private cached(key: string, load: () => Promise<string[]>): Promise<string[]> {
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && now - hit.at < (this.opts.cacheMs ?? 1000)) return hit.value;
    const value = load();
    this.cache.set(key, { at: now, value });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  private async union(kind: string, load: (c: Client) => Promise<string[]>): Promise<string[]> {
    const lists = await Promise.allSettled(this.hosts.map((h) => this.cached(`${kind} ${h.client.base}`, () => load(h.client))));
    return [...new Set(lists.flatMap((l) => (l.status === 'fulfilled' ? l.value : [])))];
  }

  taskNames(): Promise<string[]> {
    return this.union('tasks', async (c) => (await c.json<ListJson>('GET', '/list')).tasks.map((t) => t.name));
  }

  jobIds(state?: string): Promise<string[]> {
    const q = state ? `state=${state}&limit=100` : 'limit=100';
    return this.union(`jobs ${q}`, async (c) => (await c.json<JobPageJson>('GET', `/jobs?${q}`)).jobs.map((j) => j.id));
  }

  /** `token`: for these hosts, and remembered for them (`connect h --token T`). */
  async connect(specs: string[], token?: string): Promise<CommandResult> {
    let hosts: Host[];
    try {
      hosts = makeHosts(specs, token ?? this.opts.token, this.opts.tokenFor);
    } catch (e) {
      throw new UsageError(`connect: ${(e as Error).message}`);
    }
    if (token) this.opts.rememberToken?.(hosts.map((h) => h.client.base), token);
    this.hosts = hosts;
    this.cache.clear();
    for (const s of specs) this.known.add(s);
    this.opts.onConnect?.(specs);
    const checks = await Promise.all(
      hosts.map(async (h) => {
        try {
          await h.client.send('GET', '/healthz', { accept: 'application/json' });
          return { kind: 'text' as const, text: `Connected to ${h.client.base}`, tone: 'good' as const };
        } catch (e) {
          return { kind: 'text' as const, text: `Switched to ${h.client.base}, but: ${(e as Error).message}`, tone: 'bad' as const };
        }
      }),
    );
    return { blocks: checks, json: { hosts: hosts.map((h) => h.client.base) } };
  }

  hostLabels(): string[] {
    return this.hosts.map((h) => h.label);
  }

  /** Hosts remembered from earlier runs, offered by `connect`'s completion. */
  rememberHosts(hosts: string[]): void {
    for (const h of hosts) this.known.add(h);
  }

  /** One snapshot per host, in host order (status line, watch). */
  look(withJobs: boolean): Promise<Snapshot[]> {
    return Promise.all(this.hosts.map((h) => fetchSnapshot(h.client, withJobs)));
  }

  /** Completion source by position: the command at word 0, then what that command offers. */
  candidates(at: CursorWord): Promise<readonly string[]> | readonly string[] {
    if (at.index === 0) return commandNames();
    const cmd = findCommand(at.before[0]!);
    if (!cmd?.complete) return [];
    return cmd.complete(this.context(this.hosts[0]!), at.index - 1, at.partial);
  }

  complete(line: string, cursor: number): Promise<Completion> {
    return completeLine(line, cursor, (at) => this.candidates(at));
  }
}
