// The config file's shape: the workerpoolmanager format unchanged (port, path, filesuffix,
// force_timeout, autotasks, keepalives) plus bl's extensions (docs/spec.md "Config file").
// Objects are strict: an unknown key is an error with a "did you mean" (see load.ts).
import { z } from 'zod';
import { parseSlurmDuration } from '../broker/slurm/slurm-time.js';
import { parseCpu, parseMemory, parsePids } from '../../contract/limits.js';
import { LOG_MAX_KEEP } from '../../runner/log-files.js';

const ms = z.number().int().nonnegative();
const port = z.number().int().min(0).max(65535);
/** A limit field: its own parser says what it expects. */
const limit = (parse: (v: unknown) => { value: number } | { error: string }) =>
  z.unknown().superRefine((v, ctx) => {
    const p = parse(v);
    if ('error' in p) ctx.addIssue({ code: 'custom', message: p.error.replace(/^expected /, '').replace(/, got .*$/, '') });
  });

const name = z.string().regex(/^[A-Za-z0-9_.@+-][A-Za-z0-9_.@+ -]*$/, 'a task name of letters, digits and . _ - + @');

export const taskSchema = z
  .object({
    cmd: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    cwd: z.string().min(1).optional(),
    env: z.record(z.string()).optional(),
    cardinality: z.number().int().nonnegative().optional(),
    max_cardinality: z.number().int().min(1).optional(),
    autostart: z.boolean().optional(),
    stall_timeout: ms.optional(),
    grace_period: ms.optional(),
    min_uptime: ms.optional(),
    backoff: z.object({ initial: ms.optional(), max: ms.optional() }).strict().optional(),
    capture_output: z.boolean().optional(),
    log_max_bytes: z.number().int().min(1024).optional(),
    log_keep: z.number().int().min(0).max(LOG_MAX_KEEP).optional(),
    log_timestamps: z.boolean().optional(),
    adopt: z.boolean().optional(),
    /** Tasks whose workers must all be ready before this one's start (task-graph.ts). */
    requires: z.array(z.string().min(1)).optional(),
    memory_max: limit(parseMemory).optional(),
    cpu_max: limit(parseCpu).optional(),
    pids_max: limit(parsePids).optional(),
  })
  .strict();

const seconds = z.number().nonnegative();
const positiveInt = z.number().int().min(1);

/** broker.slurm: allocations that run bl-launcher pilots on a Slurm cluster (docs/config.md). */
export const slurmSchema = z
  .object({
    partition: z.string().min(1).optional(),
    account: z.string().min(1).optional(),
    qos: z.string().min(1).optional(),
    time_limit: z
      .custom<number | string>((v) => (parseSlurmDuration(v) ?? 0) > 0, 'minutes (60) or a Slurm time ("1:00:00", "2-00:00:00") longer than 0')
      .optional(),
    slots_per_launcher: positiveInt.optional(),
    cpus_per_launcher: positiveInt.optional(),
    mem: z.union([z.string().min(1), positiveInt]).optional(),
    gres: z.string().min(1).optional(),
    max_launchers: positiveInt.optional(),
    max_pending_allocations: positiveInt.optional(),
    idle_exit: z.number().positive().optional(),
    end_margin: seconds.optional(),
    poll_interval: z.number().positive().optional(),
    sbatch_args: z.array(z.string()).optional(),
    env: z.record(z.string()).optional(),
    launcher_url: z.string().regex(/^https?:\/\/[^/\s]+/, 'an http:// or https:// URL (http://login1:8010)').optional(),
    name: z.string().regex(/^[A-Za-z0-9_.+-]+$/, 'a job name prefix of letters, digits and . _ - +').optional(),
  })
  .strict();

export const brokerSchema = z
  .object({
    concurrency: z.number().int().nonnegative().optional(),
    urgent_bypass: z.boolean().optional(),
    local_slots: z.number().int().nonnegative().optional(),
    lease_ttl: z.number().positive().optional(),
    default_timeout: z.number().nonnegative().optional(),
    idle_cpu: z.object({ percent: z.number().nonnegative(), seconds: z.number().positive() }).strict().optional(),
    retries: z.number().int().nonnegative().optional(),
    /** Defaults of a job's log_max_bytes, log_keep, log_timestamps (its output copied by its spawn helper). */
    log_max_bytes: z.number().int().min(1024).optional(),
    log_keep: z.number().int().min(0).max(LOG_MAX_KEEP).optional(),
    log_timestamps: z.boolean().optional(),
    slurm: slurmSchema.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    port: port.optional(),
    bind: z.string().min(1).optional(),
    insecure: z.boolean().optional(),
    path: z.string().optional(),
    filesuffix: z.string().optional(),
    force_timeout: ms.optional(),
    adopt: z.boolean().optional(),
    autotasks: z.record(name, taskSchema).optional(),
    tasks: z.record(name, taskSchema).optional(),
    keepalives: z
      .object({
        host: z.string().min(1).optional(),
        inbound_port: port.optional(),
        internal_port: port.optional(),
        stall_timeout: ms.optional(),
        grace_period: ms.optional(),
        max_message_size: z.number().int().min(1024).optional(),
      })
      .strict()
      .optional(),
    broker: brokerSchema.optional(),
    state_dir: z.string().min(1).optional(),
    // "sqlite" (the embedded file in state_dir), "postgres" (the PG* environment) or a
    // postgres:// URL: checked in load.ts (pg-target.ts says what was wrong, password hidden).
    store: z.string().min(1).optional(),
    auth: z
      .object({
        token: z.string().min(1).optional(),
        basic: z.string().regex(/^[^:]+:.+$/, 'user:password').optional(),
      })
      .strict()
      .optional(),
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1), ca: z.string().optional() }).strict().optional(),
    allowed_commands: z.array(z.string().min(1)).optional(),
    allowed_env: z.array(z.string().regex(/^(?:[A-Za-z_][A-Za-z0-9_]*\*?|\*)$/, 'a variable name, or a prefix of one ending in *')).optional(),
    follow_redirects: z.boolean().optional(),
    cgroups: z.union([z.boolean(), z.literal('auto')], { errorMap: () => ({ message: 'true, false or "auto"' }) }).optional(),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type RawTask = z.infer<typeof taskSchema>;
export type RawSlurm = z.infer<typeof slurmSchema>;
