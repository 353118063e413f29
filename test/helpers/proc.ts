// Looking at real processes from tests: does a pid live, which processes are under a pid. It reads
// /proc itself, not through proc/: the tests check the daemon against an independent reader.
import { readFileSync, readdirSync } from 'node:fs';

/** The fields of /proc/PID/stat after the command name ([0] state, [1] ppid, … [11] utime,
 * [12] stime), or undefined when the process is gone. The name may hold spaces and parentheses:
 * it ends at the last ')'. */
export function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is dead for our purposes.
  const f = statFields(pid);
  return f !== undefined && f[0] !== 'Z';
}

export function ppidOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f && Number(f[1]);
}

/** All live descendants of `root` (not including it). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    const pp = ppidOf(pid);
    if (pp === undefined) continue;
    if (!children.has(pp)) children.set(pp, []);
    children.get(pp)!.push(pid);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (alive(c)) out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/** Pids whose environment holds `KEY=value` (finds every process a test started, wherever it went). */
export function pidsWithEnv(key: string, value: string): number[] {
  const needle = `${key}=${value}\0`;
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const env = readFileSync(`/proc/${d}/environ`, 'utf8') + '\0';
      if (env.includes(needle) && alive(Number(d))) out.push(Number(d));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** A job spawner helper of the daemon (spawn-helper.py or the Node node-helper). */
export function isSpawner(pid: number): boolean {
  try {
    return /node-helper|spawn-helper/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}
