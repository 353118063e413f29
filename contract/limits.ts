// Resource limits of a worker or a job (`memory_max`, `cpu_max`, `pids_max` in a task's config
// and in a job submit): reading them as written and the one normal form they are stored and
// shown in. Pure; whether this host can enforce them is proc/cgroup/host.ts's question.
import { describe } from './errors.js';

/** The normal form: bytes, cores (0.5 = half a core), processes. Absent = no limit. */
export interface Limits {
  memory_max?: number;
  cpu_max?: number;
  pids_max?: number;
}

export const LIMIT_FIELDS = ['memory_max', 'cpu_max', 'pids_max'] as const;
export type LimitField = (typeof LIMIT_FIELDS)[number];

/** The cgroup controller each limit needs. */
export const LIMIT_CONTROLLER = { memory_max: 'memory', cpu_max: 'cpu', pids_max: 'pids' } as const satisfies Record<LimitField, string>;

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
/** The least a memory limit may be: a program needs some pages to start at all. */
export const MEMORY_MIN = 1024 * 1024;
/** The kernel's CFS period bl uses; a quota under 1 ms is refused by the kernel. */
export const CPU_PERIOD_US = 100_000;
export const CPU_MIN = 0.01;

type Parsed<T> = { value: T } | { error: string };

/** `512M`, `1.5G`, `64MiB`, `2048` (bytes); a number is bytes. */
export function parseMemory(v: unknown): Parsed<number> {
  const expected = 'bytes (a number) or a size like "512M", "1.5G", "64MiB"';
  let bytes: number | undefined;
  if (typeof v === 'number') bytes = v;
  else if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(v);
    if (m) bytes = Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
  }
  if (bytes === undefined || !Number.isFinite(bytes)) return { error: `expected ${expected}, got ${describe(v)}` };
  bytes = Math.floor(bytes);
  if (bytes < MEMORY_MIN) return { error: `expected at least 1M, got ${describe(v)}` };
  return { value: bytes };
}

/** `"50%"` (of one core), `1.5` or `"1.5"` (cores). */
export function parseCpu(v: unknown): Parsed<number> {
  let cores: number | undefined;
  if (typeof v === 'number') cores = v;
  else if (typeof v === 'string') {
    const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
    if (pct) cores = Number(pct[1]) / 100;
    else if (/^\s*\d+(?:\.\d+)?\s*$/.test(v)) cores = Number(v);
  }
  if (cores === undefined || !Number.isFinite(cores)) return { error: `expected cores (1.5) or a percentage of one core ("50%"), got ${describe(v)}` };
  if (cores < CPU_MIN) return { error: `expected at least 1% of a core, got ${describe(v)}` };
  return { value: Math.round(cores * 1000) / 1000 };
}

export function parsePids(v: unknown): Parsed<number> {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return { error: `expected a whole number of processes of at least 1, got ${describe(v)}` };
  return { value: v };
}

const PARSERS: Record<LimitField, (v: unknown) => Parsed<number>> = { memory_max: parseMemory, cpu_max: parseCpu, pids_max: parsePids };

/**
 * The limits among these fields (any other key is not looked at), or the first bad one.
 * Absent and null fields set no limit; no field at all gives null.
 */
export function parseLimits(raw: Record<string, unknown>): { limits: Limits | null } | { field: LimitField; error: string } {
  const limits: Limits = {};
  for (const f of LIMIT_FIELDS) {
    const v = raw[f];
    if (v === undefined || v === null) continue;
    const p = PARSERS[f](v);
    if ('error' in p) return { field: f, error: p.error };
    limits[f] = p.value;
  }
  return { limits: Object.keys(limits).length > 0 ? limits : null };
}

/** Which limits are set, in field order. */
export const limitFields = (l: Limits | null | undefined): LimitField[] => (l ? LIMIT_FIELDS.filter((f) => l[f] !== undefined) : []);

/** A size for people: `512 MiB`, `1.5 GiB`, `900 KiB`. */
export function formatBytes(n: number): string {
  for (const [u, f] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= f) return `${Math.round((n / f) * 10) / 10} ${u}`;
  }
  return `${n} B`;
}

/** The limits as one line: `memory_max 64 MiB, cpu_max 0.5 cores, pids_max 10`. */
export function limitsText(l: Limits): string {
  const parts: string[] = [];
  if (l.memory_max !== undefined) parts.push(`memory_max ${formatBytes(l.memory_max)}`);
  if (l.cpu_max !== undefined) parts.push(`cpu_max ${l.cpu_max} ${l.cpu_max === 1 ? 'core' : 'cores'}`);
  if (l.pids_max !== undefined) parts.push(`pids_max ${l.pids_max}`);
  return parts.join(', ');
}
