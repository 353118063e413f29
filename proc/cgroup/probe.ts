// Reads what the host shows about cgroups (/proc/self/mountinfo, /proc/self/cgroup, the
// controllers file) into the facts host.ts plans from. The only I/O of the planning.
import { accessSync, constants, readFileSync } from 'node:fs';
import { CONTROLLERS, type Controller, type HostFacts } from './host.js';

interface Mount {
  root: string;
  point: string;
  type: string;
  superOpts: string[];
}

/** /proc/self/mountinfo's cgroup mounts (fields: id parent dev root point opts ... - type source superopts). */
export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const f = pre.split(' ');
    const [type, , superOpts] = post.split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    out.push({ root: unescape(f[3] ?? '/'), point: unescape(f[4] ?? ''), type, superOpts: (superOpts ?? '').split(',') });
  }
  return out;
}

// mountinfo writes space, tab, newline and backslash as octal escapes.
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** /proc/self/cgroup: `0::/path` (v2) and `N:controllers:/path` (v1) → hierarchy key → path. */
export function parseProcCgroup(text: string): { v2: string | undefined; v1: Map<string, string> } {
  let v2: string | undefined;
  const v1 = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2 = m[3];
    else for (const c of m[2]!.split(',')) v1.set(c, m[3]!);
  }
  return { v2, v1 };
}

/** The path below a mount's root (a container sees its own cgroup as the mount's root). */
function below(root: string, path: string): string {
  if (root === '/' || root === '') return path || '/';
  if (path === root) return '/';
  return path.startsWith(root + '/') ? path.slice(root.length) : path;
}

function cannotWrite(dir: string): string | null {
  try {
    accessSync(dir, constants.W_OK);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

const read = (p: string): string => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
};

export function probeHost(): HostFacts {
  const mounts = parseMountinfo(read('/proc/self/mountinfo'));
  const mine = parseProcCgroup(read('/proc/self/cgroup'));
  const facts: HostFacts = { v2: null, v1: {} };
  const m2 = mounts.find((m) => m.type === 'cgroup2');
  if (m2 && mine.v2 !== undefined) {
    const own = below(m2.root, mine.v2);
    const dir = own === '/' ? m2.point : m2.point + own;
    facts.v2 = { mount: m2.point, own, controllers: read(`${dir}/cgroup.controllers`).trim().split(/\s+/).filter(Boolean), cannotWrite: cannotWrite(dir) };
  }
  for (const c of CONTROLLERS as readonly Controller[]) {
    const m = mounts.find((x) => x.type === 'cgroup' && x.superOpts.includes(c));
    const path = mine.v1.get(c);
    if (!m || path === undefined) continue;
    const own = below(m.root, path);
    facts.v1[c] = { mount: m.point, own, cannotWrite: cannotWrite(own === '/' ? m.point : m.point + own) };
  }
  return facts;
}
