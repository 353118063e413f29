// A job's end as its keeper writes it (a spawn helper whose parent went, onEof 'keep'): one JSON
// object in `<id>.<attempt>.end`, written to a temporary name and renamed, so a reader sees the
// whole end or none. spawn-helper.py writes the same fields; the Node helper has no rusage of
// its children and writes null for `cpu` and `maxrss`.
import { renameSync, writeFileSync } from 'node:fs';

export interface KeeperEnd {
  pid: number;
  code: number | null;
  signal: string | null;
  /** When it was reaped (epoch ms). */
  at: number;
  /** Its group still had processes when it was reaped. */
  left: boolean;
  /** CPU seconds (user + system) of the leader and the children it waited for; null: unknown. */
  cpu: number | null;
  /** Peak resident size of the largest of them, bytes; null: unknown. */
  maxrss: number | null;
}

const SUFFIX = '.end';

export const endFileName = (id: string, attempt: number): string => `${id}.${attempt}${SUFFIX}`;

/** The job and attempt an end file is named for; undefined for any other name. */
export function parseEndFileName(name: string): { id: string; attempt: number } | undefined {
  if (!name.endsWith(SUFFIX)) return undefined;
  const stem = name.slice(0, -SUFFIX.length);
  const dot = stem.lastIndexOf('.');
  const attempt = Number(stem.slice(dot + 1));
  if (dot <= 0 || !/^\d+$/.test(stem.slice(dot + 1)) || !Number.isSafeInteger(attempt)) return undefined;
  return { id: stem.slice(0, dot), attempt };
}

const numOrNull = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));

/** The end a file holds; undefined when it is not one (a half-written file is never renamed in). */
export function parseEnd(text: string): KeeperEnd | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const ok =
    Number.isInteger(o.pid) &&
    numOrNull(o.code) &&
    (o.signal === null || typeof o.signal === 'string') &&
    typeof o.at === 'number' &&
    typeof o.left === 'boolean' &&
    numOrNull(o.cpu) &&
    numOrNull(o.maxrss);
  if (!ok) return undefined;
  return { pid: o.pid as number, code: o.code as number | null, signal: o.signal as string | null, at: o.at as number, left: o.left as boolean, cpu: o.cpu as number | null, maxrss: o.maxrss as number | null };
}

/** Writes an end whole: a temporary file of this process, then renamed over the name. */
export function writeEnd(file: string, end: KeeperEnd): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(end));
  renameSync(tmp, file);
}
