// Runs console lines against one or more hosts: parse, find the command, pick its hosts (every
// one for reads, labelled; the one that has the task or job named; the one `-host=H` names),
// turn errors into `ERROR: …` lines and the SPEC's exit codes. Shared by the Ink app, stdin
// mode, `-c` and the one-shot flags.
import { hostToUrl, UsageError } from '../contract/flags.js';
import type { AllocationsJson, JobJson, JobPageJson, ListJson } from '../contract/types.js';
import { allocationNote, isCancellable } from './allocation-table.js';
import { Client, DaemonError, UnreachableError } from './client.js';
import { COMMANDS, commandNames, findCommand, unknownCommandMessage } from './commands/index.js';
import type { Command, CommandContext, JobChoice, Route } from './commands/types.js';
import { completeLine, type Candidate, type Completion } from './completion.js';
import { pickHost, takeHostOption } from './host-option.js';
import { jobCommand } from './job-table.js';
import { restAfterFirstWord, tokenize, words, type CursorWord } from './line-parser.js';
import { newestJobs } from './newest-jobs.js';
import { cut, renderResult, paint } from './render-text.js';
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
  /** Said once in a script however many lines meet it (a daemon that cannot be reached). */
  once?: boolean;
}

export interface Outcome {
  lines: OutLine[];
  code: ExitCode;
  quit?: boolean;
  watch?: boolean;
  /** log --follow: text that keeps coming after `lines` (one host only). */
  follow?: Follow;
  /** Every host the line went to could not be reached (a script stops there). */
  unreachable?: boolean;
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
  /** The terminal's width now (tables are fitted to it); none for a pipe. */
  width?: () => number | undefined;
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

/** How many recent jobs Tab offers (each kind). */
export const JOB_CANDIDATES = 20;
const NOTE_COMMAND = 50;

export function makeHosts(specs: string[], token?: string, tokenFor?: SessionOptions['tokenFor']): Host[] {
  return specs.map((label) => ({ label, client: new Client(hostToUrl(label), token, undefined, tokenFor) }));
}

const jobNote = (j: JobJson) => `${j.state.padEnd(9)}  ${cut(jobCommand(j).replace(/\s+/g, ' '), NOTE_COMMAND)}`;

export class Session {
  hosts: Host[];
  private readonly cache = new Map<string, { at: number; value: Promise<unknown> }>();
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
    let args = argv.slice(1);
    let rest = restAfterFirstWord(line);
    // A command that talks to a daemon goes to one or more of the connected ones; with several,
    // each answer is labelled by its host.
    const several = !cmd.local && this.hosts.length > 1;
    let targets: Host[];
    try {
      let picked: Host | undefined;
      if (!cmd.local) {
        const opt = takeHostOption(args, cmd.rawRest ?? false);
        if (opt.host !== undefined) {
          picked = this.hosts[pickHost(this.hostLabels(), opt.host)]!;
          if (cmd.rawRest) rest = rest.slice(tokenize(rest)[opt.leading]?.start ?? rest.length);
        }
        args = opt.words;
      }
      targets = picked ? [picked] : await this.targets(cmd, args, line);
    } catch (e) {
      const [code, message] = this.describeError(e);
      return { lines: [{ text: `ERROR: ${message}`, err: true }], code };
    }
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
    const jsonByHost: Record<string, unknown> = {};
    for (const r of runs) {
      if (several && !this.json) out.lines.push({ text: paint(`── ${r.host.label}`, 'accent', this.opts.color ?? false) });
      if ('error' in r) {
        const [code, message] = this.describeError(r.error);
        out.code = worse(out.code, code);
        out.lines.push({ text: `ERROR: ${message}`, err: true, ...(r.error instanceof UnreachableError ? { once: true } : {}) });
        continue;
      }
      const res = r.result as CommandResult;
      if (res.quit) out.quit = true;
      if (res.watch) out.watch = true;
      if (res.follow && targets.length === 1) out.follow = res.follow;
      if (this.json) jsonByHost[r.host.label] = res.json ?? null;
      else out.lines.push(...renderResult(res, this.opts.color ?? false, this.opts.width?.()).map((text) => ({ text })));
    }
    if (runs.length && runs.every((r) => 'error' in r && r.error instanceof UnreachableError)) out.unreachable = true;
    if (this.json && Object.keys(jsonByHost).length) {
      const value = several ? jsonByHost : Object.values(jsonByHost)[0];
      if (value !== null && value !== undefined) out.lines.push(...JSON.stringify(value, null, 2).split('\n').map((text) => ({ text })));
    }
    return out;
  }

  /** The hosts a run goes to (see Route); throws a UsageError when the user must say which. */
  private async targets(cmd: Command, args: string[], line: string): Promise<Host[]> {
    if (cmd.local || this.hosts.length === 1) return this.hosts.slice(0, 1);
    const route: Route = cmd.route?.(args) ?? (cmd.fanOut ? { to: 'every' } : { to: 'one' });
    // No name where one is due: the command's own usage error says so, once.
    if ((route.to === 'task' || route.to === 'task-or-job') && !route.name) return this.hosts.slice(0, 1);
    if (route.to === 'job' && !route.id) return this.hosts.slice(0, 1);
    const labels = this.hostLabels();
    const ask = (why: string) => new UsageError(`${why}: say which with -host=HOST (one of ${labels.join(', ')}), e.g. ${cmd.rawRest ? `${cmd.name} -host=${labels[0]} …` : `${line.trim()} -host=${labels[0]}`}`);
    const owners = async (what: string, has: (h: Host) => Promise<boolean>) => {
      const found = (await Promise.all(this.hosts.map(async (h) => ((await has(h).catch(() => false)) ? [h] : [])))).flat();
      if (found.length > 1) throw ask(`${what} is on ${found.map((h) => h.label).join(' and ')}`);
      // Nowhere: every host says so for itself.
      return found.length === 1 ? found : this.hosts;
    };
    const hasTask = async (h: Host, name: string) => (await this.tasksOf(h)).some((t) => t.name === name);
    switch (route.to) {
      case 'every':
        return this.hosts;
      case 'one':
        throw ask(`${cmd.name} goes to one daemon and ${labels.length} are connected`);
      case 'task':
        return owners(`task ${route.name}`, (h) => hasTask(h, route.name));
      case 'job':
        return owners(`job ${route.id}`, (h) => this.hasJob(h, route.id));
      case 'task-or-job': {
        const withTask = (await Promise.all(this.hosts.map((h) => hasTask(h, route.name).catch(() => false)))).some(Boolean);
        return withTask ? owners(`task ${route.name}`, (h) => hasTask(h, route.name)) : owners(`job ${route.name}`, (h) => this.hasJob(h, route.name));
      }
    }
  }

  /** The daemon knows this job (or several by that prefix: it will say so itself). */
  private async hasJob(h: Host, id: string): Promise<boolean> {
    try {
      await h.client.json('GET', `/jobs/${encodeURIComponent(id)}`);
      return true;
    } catch (e) {
      if (e instanceof DaemonError) return e.status !== 404;
      return false;
    }
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
      hosts: this.hostLabels(),
      json: this.json,
      cwd: this.opts.cwd,
      taskNames: (which) => this.taskNames(which),
      jobCandidates: (which) => this.jobCandidates(which),
      allocationCandidates: () => this.allocationCandidates(),
      knownHosts: () => [...this.known],
      commandNames,
      commands: () => COMMANDS,
      connect: (hosts, token) => this.connect(hosts, token),
    };
  }

  /** Memoises a daemon look-up for `cacheMs`, per host; a failed one is not kept. */
  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && now - hit.at < (this.opts.cacheMs ?? 1000)) return hit.value as Promise<T>;
    const value = load();
    this.cache.set(key, { at: now, value });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  private async union<T>(kind: string, load: (c: Client) => Promise<T[]>): Promise<T[]> {
    const lists = await Promise.allSettled(this.hosts.map((h) => this.cached(`${kind} ${h.client.base}`, () => load(h.client))));
    return lists.flatMap((l) => (l.status === 'fulfilled' ? l.value : []));
  }

  private tasksOf(h: Host): Promise<ListJson['tasks']> {
    return this.cached(`tasks ${h.client.base}`, async () => (await h.client.json<ListJson>('GET', '/list')).tasks);
  }

  /** Task names of every host, sorted; only running or only stopped ones when asked. */
  async taskNames(which?: 'running' | 'stopped'): Promise<string[]> {
    const lists = await Promise.allSettled(this.hosts.map((h) => this.tasksOf(h)));
    const all = lists.flatMap((l) => (l.status === 'fulfilled' ? l.value : []));
    const chosen = all.filter((t) => which === undefined || t.running === (which === 'running'));
    return [...new Set(chosen.map((t) => t.name))].sort();
  }

  /** Recent jobs of every host, newest first, noted with their state and command. */
  async jobCandidates(which: JobChoice = 'any'): Promise<Candidate[]> {
    const now = Date.now();
    const jobs = await this.union(`jobs ${which}`, async (c): Promise<JobJson[]> => {
      const newest = async (state?: string) => (await newestJobs(c, state, JOB_CANDIDATES)).jobs;
      if (which === 'ended') return newest('completed');
      if (which === 'any') return newest();
      // Pending ones list in the order they will start: the newest of the first page.
      const pending = (await c.json<JobPageJson>('GET', `/jobs?state=pending&limit=${5 * JOB_CANDIDATES}`)).jobs;
      return [...(await newest('running')), ...pending.sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, JOB_CANDIDATES)];
    });
    return jobs.map((j) => ({ value: j.id, note: jobNote(j) }));
  }

  /** Queued and running allocations of every host (one without Slurm offers none), noted with their state and node. */
  async allocationCandidates(): Promise<Candidate[]> {
    const all = await this.union('allocations', async (c) => (await c.json<AllocationsJson>('GET', '/broker/allocations')).allocations);
    return all.filter(isCancellable).map((a) => ({ value: a.id, note: allocationNote(a) }));
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
  candidates(at: CursorWord): Promise<readonly Candidate[]> | readonly Candidate[] {
    if (at.index === 0) return commandNames();
    const cmd = findCommand(at.before[0]!);
    if (!cmd?.complete) return [];
    return cmd.complete(this.context(this.hosts[0]!), at.index - 1, at.partial, at.before.slice(1));
  }

  complete(line: string, cursor: number): Promise<Completion> {
    return completeLine(line, cursor, (at) => this.candidates(at));
  }
}
