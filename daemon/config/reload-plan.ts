// What a reload does, pure: the config in force and a new one → the plan (tasks to start,
// stop, restart and why, the other changes, the settings), before anything is done. SIGHUP
// and POST /config/reload carry it out; POST /config/check, `reload --dry-run` and
// `bl-daemon --check` only show it. reload-text.ts says it in words.
import type { BrokerSettings, DaemonConfig, TaskSpec } from './types.js';
import type { ReloadFieldChangeJson, ReloadPlanJson, ReloadSettingChangeJson, ReloadTaskChangeJson } from '../../contract/types.js';

export type FieldChange = ReloadFieldChangeJson;
export type TaskChange = ReloadTaskChangeJson;
export type SettingChange = ReloadSettingChangeJson;
export type ReloadPlan = ReloadPlanJson;

/** A task's fields as the config file names them; the ones in DEFINITION make its workers what they are. */
const TASK_FIELDS: [keyof TaskSpec, string][] = [
  ['cmd', 'cmd'],
  ['args', 'args'],
  ['cwd', 'cwd'],
  ['env', 'env'],
  ['captureOutput', 'capture_output'],
  ['cardinality', 'cardinality'],
  ['autostart', 'autostart'],
  ['stallTimeout', 'stall_timeout'],
  ['gracePeriod', 'grace_period'],
  ['minUptime', 'min_uptime'],
  ['backoffInitial', 'backoff.initial'],
  ['backoffMax', 'backoff.max'],
  ['adopt', 'adopt'],
  ['requires', 'requires'],
];

/** Fields whose change restarts a running task: its workers would run something else. */
export const DEFINITION: ReadonlySet<string> = new Set(['cmd', 'args', 'cwd', 'env', 'capture_output']);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function taskChanges(old: TaskSpec, next: TaskSpec): FieldChange[] {
  const out: FieldChange[] = [];
  for (const [k, field] of TASK_FIELDS) {
    if (same(old[k], next[k])) continue;
    // Values of env may be secrets: the keys that changed are said, not the values.
    if (k === 'env') out.push({ field: `env (${changedKeys(old.env, next.env).join(', ')})` });
    else out.push({ field, from: old[k], to: next[k] });
  }
  return out;
}

function changedKeys(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}

interface Setting {
  key: string;
  get: (c: DaemonConfig) => unknown;
  applied: boolean;
  /** Its values are not shown (credentials). */
  secret?: boolean;
}

const broker = (k: keyof BrokerSettings) => (c: DaemonConfig) => c.broker[k];

/** The settings outside the tasks; `applied`: a reload takes them (applyReloadable), else a restart of the daemon does. */
const SETTINGS: Setting[] = [
  { key: 'port', get: (c) => c.port, applied: false },
  { key: 'bind', get: (c) => c.bind, applied: false },
  { key: 'insecure', get: (c) => c.insecure, applied: false },
  { key: 'state_dir', get: (c) => c.stateDir, applied: false },
  { key: 'auth', get: (c) => c.auth, applied: false, secret: true },
  { key: 'tls', get: (c) => c.tls, applied: false },
  { key: 'force_timeout', get: (c) => c.forceTimeout, applied: false },
  { key: 'keepalives.host', get: (c) => c.keepalives.host, applied: false },
  { key: 'keepalives.inbound_port', get: (c) => c.keepalives.inboundPort, applied: false },
  { key: 'keepalives.internal_port', get: (c) => c.keepalives.internalPort, applied: false },
  // Defaults of the tasks: their changes show, and are taken, as the tasks' own.
  { key: 'keepalives.stall_timeout', get: (c) => c.keepalives.stallTimeout, applied: true },
  { key: 'keepalives.grace_period', get: (c) => c.keepalives.gracePeriod, applied: true },
  { key: 'broker.concurrency', get: broker('concurrency'), applied: true },
  { key: 'broker.urgent_bypass', get: broker('urgentBypass'), applied: true },
  { key: 'broker.local_slots', get: broker('localSlots'), applied: true },
  { key: 'broker.lease_ttl', get: broker('leaseTtl'), applied: true },
  { key: 'broker.default_timeout', get: broker('defaultTimeout'), applied: true },
  { key: 'broker.idle_cpu', get: broker('idleCpu'), applied: true },
  { key: 'broker.retries', get: broker('retries'), applied: true },
  { key: 'broker.log_max_bytes', get: broker('logMaxBytes'), applied: true },
  { key: 'broker.log_keep', get: broker('logKeep'), applied: true },
  { key: 'broker.log_timestamps', get: broker('logTimestamps'), applied: true },
  { key: 'broker.slurm', get: broker('slurm'), applied: true },
  { key: 'allowed_commands', get: (c) => c.allowedCommands?.map((e) => e.text), applied: true },
  { key: 'allowed_env', get: (c) => c.allowedEnv, applied: true },
  { key: 'follow_redirects', get: (c) => c.followRedirects, applied: true },
];

/**
 * The plan of a reload from `old` (the config in force) to `next`. `running`: the tasks that run
 * (or still have workers): a removed one is stopped, a changed definition restarts it.
 */
export function planReload(old: DaemonConfig, next: DaemonConfig, running: ReadonlySet<string>): ReloadPlan {
  const plan: ReloadPlan = { file: next.file ?? null, start: [], add: [], stop: [], remove: [], restart: [], change: [], settings: [] };
  for (const name of old.tasks.keys()) {
    if (next.tasks.has(name)) continue;
    (running.has(name) ? plan.stop : plan.remove).push(name);
  }
  for (const [name, spec] of next.tasks) {
    const was = old.tasks.get(name);
    if (!was) {
      (spec.autostart ? plan.start : plan.add).push(name);
      continue;
    }
    const changes = taskChanges(was, spec);
    if (!changes.length) continue;
    const redefined = changes.some((c) => DEFINITION.has(c.field.replace(/ .*/, '')));
    (redefined && running.has(name) ? plan.restart : plan.change).push({ task: name, changes });
  }
  for (const s of SETTINGS) {
    const from = s.get(old);
    const to = s.get(next);
    if (same(from, to)) continue;
    plan.settings.push(s.secret ? { field: s.key, applied: s.applied } : { field: s.key, from: from ?? null, to: to ?? null, applied: s.applied });
  }
  return plan;
}

/** Nothing to do: no task and no setting changed. */
export function isEmptyPlan(p: ReloadPlan): boolean {
  return !p.start.length && !p.add.length && !p.stop.length && !p.remove.length && !p.restart.length && !p.change.length && !p.settings.length;
}

/**
 * Takes into `target` (the config in force) what a reload applies: the tasks and the settings
 * SETTINGS marks applied. The others stay, so the next plan still shows them as waiting for a
 * restart of the daemon.
 */
export function applyReloadable(target: DaemonConfig, next: DaemonConfig): void {
  target.tasks = next.tasks;
  target.keepalives = { ...target.keepalives, stallTimeout: next.keepalives.stallTimeout, gracePeriod: next.keepalives.gracePeriod };
  target.broker = next.broker;
  target.allowedCommands = next.allowedCommands;
  target.allowedEnv = next.allowedEnv;
  target.followRedirects = next.followRedirects;
  target.warnings = next.warnings;
}
