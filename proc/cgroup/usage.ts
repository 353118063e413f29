// What a group used, read from the kernel's own accounting: CPU time (cpu.stat, always there
// in v2), memory now and at its peak, and how many of its processes the OOM killer took.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Group } from './group.js';

export interface GroupUsage {
  /** CPU time of every process that was ever in it, in µs. */
  cpuUsec: number;
  /** Memory charged to it now and at most, in bytes; null where memory is not accounted. */
  memory: number | null;
  memoryPeak: number | null;
  /** Processes killed by the OOM killer for its memory limit. */
  oomKills: number;
}

const readText = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** A `key value` line of a flat-keyed file (cpu.stat, memory.events, memory.oom_control). */
export function keyed(text: string | null, key: string): number | null {
  if (text === null) return null;
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

const num = (text: string | null): number | null => {
  if (text === null) return null;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : null;
};

export function readUsage(g: Group): GroupUsage {
  const cpuUsec = keyed(readText(path.join(g.dir, 'cpu.stat')), 'usage_usec') ?? 0;
  const m = g.memory;
  if (!m) return { cpuUsec, memory: null, memoryPeak: null, oomKills: 0 };
  if (m.via === 'v2') {
    return {
      cpuUsec,
      memory: num(readText(path.join(m.dir, 'memory.current'))),
      // memory.peak is Linux 5.19+.
      memoryPeak: num(readText(path.join(m.dir, 'memory.peak'))),
      oomKills: keyed(readText(path.join(m.dir, 'memory.events')), 'oom_kill') ?? 0,
    };
  }
  return {
    cpuUsec,
    memory: num(readText(path.join(m.dir, 'memory.usage_in_bytes'))),
    memoryPeak: num(readText(path.join(m.dir, 'memory.max_usage_in_bytes'))),
    oomKills: keyed(readText(path.join(m.dir, 'memory.oom_control')), 'oom_kill') ?? 0,
  };
}
