// Loads and checks a config file. A broken or mistyped file stops the start with the file,
// the field, what was expected and what was found (docs/spec.md "Config file").
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { homedir, cpus } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { configSchema, type RawConfig, type RawSlurm, type RawTask } from './schema.js';
import type { DaemonConfig, SlurmSettings, TaskSpec } from './types.js';
import { formatSlurmDuration, parseSlurmDuration } from '../broker/slurm/slurm-time.js';
import { didYouMean } from '../../contract/did-you-mean.js';
import { describe } from '../../contract/errors.js';
import { checkTaskGraph, TaskGraphError } from './task-graph.js';
import { parseAllowEntries, type AllowEntry } from '../broker/submit/allow-entries.js';
import { LOG_KEEP, LOG_ROTATE_BYTES } from '../supervisor/log-writer.js';
import { parseLimits, type Limits } from '../../contract/limits.js';
import { isPgStore, pgTarget, redact } from '../state/pg/pg-target.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const DEFAULTS = {
  port: 8010,
  bind: '127.0.0.1',
  forceTimeout: 60000,
  keepaliveHost: '127.0.0.1',
  inboundPort: 5591,
  internalPort: 5592,
  stallTimeout: 60000,
  gracePeriod: 100,
  keepaliveMaxMessageSize: 1024 * 1024,
  /** Workers a task may have unless it says more: a typo of 20000 must not fork 20000. */
  maxCardinality: 256,
  minUptime: 1000,
  backoffInitial: 100,
  backoffMax: 30000,
  leaseTtl: 30,
  slurm: {
    timeLimitS: 3600,
    slotsPerLauncher: 4,
    maxLaunchers: 4,
    maxPendingAllocations: 1,
    idleExitS: 300,
    endMarginS: 60,
    pollIntervalS: 10,
    name: 'bl',
  },
};

/** What the environment says (main.ts reads it). */
export interface LoadOptions {
  /** $XDG_STATE_HOME: the default state dir is `bl` under it (else under ~/.local/state). */
  stateHome?: string | undefined;
}

/** Reads, parses and checks `file`; with no file, the embedded defaults. */
export function loadConfig(file: string | undefined, o: LoadOptions = {}): DaemonConfig {
  if (file === undefined) return resolveConfig({}, undefined, o);
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError(`${abs}: cannot read the config file: ${(e as Error).message}`);
  }
  return parseConfigText(text, abs, o);
}

export function parseConfigText(text: string, abs: string, o: LoadOptions = {}): DaemonConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${abs}: not valid JSON: ${jsonErrorWhere(text, (e as Error).message)}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError(`${abs}: expected a JSON object at the top level, found ${describe(json)}`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${abs}: ${formatIssue(parsed.error.issues[0]!, json)}`);
  return resolveConfig(parsed.data, abs, o);
}

function jsonErrorWhere(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*/, '')} at line ${line}, column ${col}`;
}

function valueAt(root: unknown, p: (string | number)[]): unknown {
  let v: any = root;
  for (const k of p) v = v == null ? undefined : v[k];
  return v;
}

/** The keys an object schema accepts at a path (for "did you mean"). */
function keysAt(p: (string | number)[]): string[] {
  let s: z.ZodTypeAny = configSchema;
  for (const k of p) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = s.shape[k as string] ?? z.never();
    else if (s instanceof z.ZodRecord) s = s.valueSchema;
    else return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function unwrap(s: z.ZodTypeAny): z.ZodTypeAny {
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) {
    s = s instanceof z.ZodDefault ? s.removeDefault() : s.unwrap();
  }
  return s;
}

function formatIssue(issue: z.ZodIssue, root: unknown): string {
  const field = issue.path.length ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const where = issue.path.length ? `${issue.path.join('.')}.${key}` : key;
    const hint = didYouMean(key, keysAt(issue.path));
    return `${where}: unknown key${hint ? `, did you mean \`${hint}\`?` : ''} (expected one of: ${keysAt(issue.path).join(', ')})`;
  }
  const found = describe(valueAt(root, issue.path));
  return `${field}: expected ${expectedOf(issue)}, found ${found}`;
}

function expectedOf(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' ? 'a number' : issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'an array' : `a ${issue.expected}`;
    case 'too_small':
      if (issue.type === 'string') return 'a non-empty string';
      return issue.minimum === 0 ? 'a non-negative number' : `a number ≥ ${issue.minimum}`;
    case 'too_big':
      return `a number ≤ ${issue.maximum}`;
    case 'invalid_string':
      return issue.message;
    case 'not_finite':
      return 'a finite number';
    case 'custom':
      return issue.message;
    default:
      return issue.message.toLowerCase();
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Turns a checked raw config into the daemon's settings: defaults, absolute paths, tasks. */
export function resolveConfig(raw: RawConfig, file: string | undefined, o: LoadOptions = {}): DaemonConfig {
  const dir = file ? path.dirname(file) : process.cwd();
  const warnings: string[] = [];
  const where = file ?? '(defaults)';
  const ka = raw.keepalives ?? {};
  const stallTimeout = ka.stall_timeout || DEFAULTS.stallTimeout;
  const gracePeriod = ka.grace_period || DEFAULTS.gracePeriod;
  const globalAdopt = raw.adopt ?? false;

  const tasks = new Map<string, TaskSpec>();
  const make = (name: string, t: RawTask, source: TaskSpec['source'], base?: TaskSpec): TaskSpec => {
    const cwd = t.cwd ? path.resolve(dir, t.cwd) : (base?.cwd ?? dir);
    let cmd = t.cmd ?? base?.cmd;
    if (!cmd) {
      if (raw.path === undefined) {
        throw new ConfigError(`${where}: ${source}.${name}.cmd: expected a command (there is no \`path\` to find a task file named ${name} in), found nothing`);
      }
      cmd = path.join(path.resolve(dir, raw.path), name + (raw.filesuffix ?? ''));
    }
    if (cmd.includes('/') && !path.isAbsolute(cmd)) cmd = path.resolve(cwd, cmd);
    const cardinality = t.cardinality ?? base?.cardinality ?? 1;
    const maxCardinality = t.max_cardinality ?? base?.maxCardinality ?? DEFAULTS.maxCardinality;
    if (cardinality > maxCardinality) {
      throw new ConfigError(
        `${where}: ${source}.${name}.cardinality: expected at most ${maxCardinality} (the task's max_cardinality${t.max_cardinality === undefined ? ', by default' : ''}), found ${cardinality}; raise max_cardinality to run more`,
      );
    }
    return {
      name,
      cmd,
      args: t.args ?? base?.args ?? [],
      cwd,
      env: { ...(base?.env ?? {}), ...(t.env ?? {}) },
      cardinality,
      maxCardinality,
      autostart: t.autostart ?? (source === 'path' ? false : true),
      stallTimeout: t.stall_timeout ?? base?.stallTimeout ?? stallTimeout,
      gracePeriod: t.grace_period ?? base?.gracePeriod ?? gracePeriod,
      minUptime: t.min_uptime ?? base?.minUptime ?? DEFAULTS.minUptime,
      backoffInitial: t.backoff?.initial ?? base?.backoffInitial ?? DEFAULTS.backoffInitial,
      backoffMax: t.backoff?.max ?? base?.backoffMax ?? DEFAULTS.backoffMax,
      captureOutput: t.capture_output ?? base?.captureOutput ?? true,
      logMaxBytes: t.log_max_bytes ?? base?.logMaxBytes ?? LOG_ROTATE_BYTES,
      logKeep: t.log_keep ?? base?.logKeep ?? LOG_KEEP,
      logTimestamps: t.log_timestamps ?? base?.logTimestamps ?? false,
      adopt: t.adopt ?? base?.adopt ?? globalAdopt,
      requires: t.requires ?? base?.requires ?? [],
      limits: taskLimits(t, base),
      source,
    };
  };

  if (raw.path !== undefined) {
    const p = path.resolve(dir, raw.path);
    const suffix = raw.filesuffix ?? '';
    let names: string[] = [];
    try {
      names = readdirSync(p);
    } catch (e) {
      warnings.push(`path: cannot list task files in ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const f of names.sort()) {
      if (!f.endsWith(suffix) || f.length === suffix.length) continue;
      let st;
      try {
        st = statSync(path.join(p, f));
      } catch {
        continue; // a dangling link is not a task
      }
      if (!st.isFile()) continue;
      const name = f.slice(0, f.length - suffix.length);
      tasks.set(name, make(name, { cmd: path.join(p, f) }, 'path'));
    }
  }
  for (const [name, t] of Object.entries(raw.autotasks ?? {})) {
    const spec = make(name, t, 'autotasks', tasks.get(name));
    spec.autostart = t.autostart ?? true;
    tasks.set(name, spec);
  }
  for (const [name, t] of Object.entries(raw.tasks ?? {})) {
    tasks.set(name, make(name, t, 'tasks', tasks.get(name)));
  }

  try {
    checkTaskGraph(tasks);
  } catch (e) {
    if (e instanceof TaskGraphError) throw new ConfigError(`${where}: ${e.message}`);
    throw e;
  }

  const bind = raw.bind ?? DEFAULTS.bind;
  const auth = raw.auth && (raw.auth.token || raw.auth.basic) ? raw.auth : undefined;
  if (!isLoopback(bind) && !auth && !raw.insecure) {
    throw new ConfigError(
      `${where}: bind: "${bind}" is not a loopback address and no \`auth\` is set; expected \`auth: {token}\` or \`auth: {basic}\`, or \`insecure: true\` to expose the daemon without auth`,
    );
  }
  let tls: DaemonConfig['tls'];
  if (raw.tls) {
    tls = { cert: path.resolve(dir, raw.tls.cert), key: path.resolve(dir, raw.tls.key) };
    if (raw.tls.ca) tls.ca = path.resolve(dir, raw.tls.ca);
    for (const k of ['cert', 'key'] as const) {
      if (!existsSync(tls[k])) throw new ConfigError(`${where}: tls.${k}: expected a readable PEM file, found no file at ${tls[k]}`);
    }
  }
  let allowedCommands: AllowEntry[] | undefined;
  try {
    allowedCommands = raw.allowed_commands && parseAllowEntries(raw.allowed_commands, dir);
  } catch (e) {
    throw new ConfigError(`${where}: ${(e as Error).message}`);
  }
  const b = raw.broker ?? {};
  const kaHost = ka.host ?? DEFAULTS.keepaliveHost;
  if (!isLoopback(kaHost) && !auth) {
    warnings.push(
      `keepalives.host: "${kaHost}" is not a loopback address and no \`auth\` is set: whoever reaches the keep-alive and event ports (inbound_port, internal_port) can keep any task's workers alive and read every event; the ZeroMQ sockets take no credentials, so bind them to 127.0.0.1 unless other hosts' workers need them`,
    );
  }
  return {
    file,
    port: raw.port ?? DEFAULTS.port,
    bind,
    insecure: raw.insecure ?? false,
    forceTimeout: raw.force_timeout || DEFAULTS.forceTimeout,
    keepalives: {
      // libzmq binds to addresses and interface names, not host names.
      host: kaHost === 'localhost' ? '127.0.0.1' : kaHost,
      inboundPort: ka.inbound_port ?? DEFAULTS.inboundPort,
      internalPort: ka.internal_port ?? DEFAULTS.internalPort,
      stallTimeout,
      gracePeriod,
      maxMessageSize: ka.max_message_size ?? DEFAULTS.keepaliveMaxMessageSize,
    },
    tasks,
    broker: {
      concurrency: b.concurrency ?? Math.max(1, cpus().length),
      urgentBypass: b.urgent_bypass ?? false,
      localSlots: b.local_slots,
      leaseTtl: b.lease_ttl ?? DEFAULTS.leaseTtl,
      defaultTimeout: b.default_timeout ?? 0,
      idleCpu: b.idle_cpu,
      retries: b.retries ?? 0,
      logMaxBytes: b.log_max_bytes,
      logKeep: b.log_keep ?? LOG_KEEP,
      logTimestamps: b.log_timestamps ?? false,
      slurm: b.slurm ? resolveSlurm(b.slurm, where) : undefined,
    },
    store: checkStore(raw.store, where),
    stateDir: raw.state_dir ? path.resolve(dir, raw.state_dir) : path.join(o.stateHome || path.join(homedir(), '.local', 'state'), 'bl'),
    auth,
    tls,
    allowedCommands,
    allowedEnv: raw.allowed_env,
    followRedirects: raw.follow_redirects ?? true,
    cgroups: raw.cgroups ?? 'auto',
    warnings,
  };
}

/** A task's limits (checked by the schema), each field over its base's (a task file's defaults). */
function taskLimits(t: RawTask, base: TaskSpec | undefined): Limits | null {
  const p = parseLimits(t as Record<string, unknown>);
  const own = 'limits' in p ? p.limits : null;
  const merged: Limits = { ...(base?.limits ?? {}), ...(own ?? {}) };
  return Object.keys(merged).length > 0 ? merged : null;
}

function resolveSlurm(s: RawSlurm, where: string): SlurmSettings {
  const d = DEFAULTS.slurm;
  const timeLimitS = s.time_limit === undefined ? d.timeLimitS : parseSlurmDuration(s.time_limit)!;
  const endMarginS = s.end_margin ?? d.endMarginS;
  if (endMarginS >= timeLimitS) {
    throw new ConfigError(
      `${where}: broker.slurm.end_margin: expected fewer seconds than time_limit (${timeLimitS} s, ${formatSlurmDuration(timeLimitS)}), found ${endMarginS}: a pilot would stop leasing before it starts`,
    );
  }
  const slots = s.slots_per_launcher ?? d.slotsPerLauncher;
  return {
    partition: s.partition,
    account: s.account,
    qos: s.qos,
    timeLimitS,
    slotsPerLauncher: slots,
    cpusPerLauncher: s.cpus_per_launcher ?? slots,
    mem: s.mem === undefined ? undefined : String(s.mem),
    gres: s.gres,
    maxLaunchers: s.max_launchers ?? d.maxLaunchers,
    maxPendingAllocations: s.max_pending_allocations ?? d.maxPendingAllocations,
    idleExitS: s.idle_exit ?? d.idleExitS,
    endMarginS,
    pollIntervalS: s.poll_interval ?? d.pollIntervalS,
    sbatchArgs: s.sbatch_args ?? [],
    env: s.env ?? {},
    launcherUrl: s.launcher_url,
    name: s.name ?? d.name,
  };
}

/** The `store` setting, or a ConfigError naming it (a URL's password is never shown). */
function checkStore(store: string | undefined, where: string): string {
  if (store === undefined || store === 'sqlite') return 'sqlite';
  if (!isPgStore(store)) {
    throw new ConfigError(`${where}: store: expected "sqlite", "postgres" (the PG* environment) or a postgres:// URL, found "${redact(store)}"`);
  }
  try {
    pgTarget(store, {}, 'bl');
  } catch (e) {
    throw new ConfigError(`${where}: store: ${(e as Error).message}`);
  }
  return store;
}
