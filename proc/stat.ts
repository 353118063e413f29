// The one reader of /proc for the daemon and bl-launcher: parent pids, process groups, start
// times, CPU ticks, RSS, environment markers. Not ps-list: it runs the `ps` program for every
// listing (a process and ~10 ms a call, asynchronous) and gives neither process groups, start
// times in clock ticks (what tells a recycled pid from the process recorded, for adoption and
// crash recovery) nor environments (the BL_JOB_ID / BL_PROCESS_ID markers that find escapees),
// while the callers here poll on hot paths: a stop every 50 ms, every job's usage every second,
// each keep-alive's ancestry.
import { closeSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks since boot: with the pid, it names a process uniquely. */
  startTime: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  rssPages: number;
}

export const CLOCK_TICKS = 100; // _SC_CLK_TCK on every Linux build we run on
export const PAGE_SIZE = 4096;

export function parseStat(pid: number, text: string): ProcStat {
  const b = Buffer.from(text, 'latin1');
  return parseStatBytes(pid, b, b.length)!;
}

const statFields = new Array<number>(22).fill(0);

/**
 * The fields of a stat line read in place, digit by digit: every scan reads every process's,
 * and a split into 52 strings and as many numbers per process was most of a scan's cost.
 * The command name (field 2) may hold spaces and parentheses: the fields start after the last ')'.
 */
function parseStatBytes(pid: number, b: Buffer, n: number): ProcStat | undefined {
  const close = b.lastIndexOf(0x29, n - 1);
  if (close < 0 || close + 2 >= n) return undefined;
  const state = String.fromCharCode(b[close + 2]!);
  // Field 1 (ppid) starts after the state and its space; fields 1…21 are numbers (some,
  // not read here, may be negative).
  const f = statFields;
  f.fill(0);
  let k = 1;
  let num = 0;
  for (let j = close + 4; j < n && k <= 21; j++) {
    const c = b[j]!;
    if (c === 0x20 || c === 0x0a) {
      f[k++] = num;
      num = 0;
    } else num = num * 10 + (c - 48);
  }
  return { pid, state, ppid: f[1]!, pgid: f[2]!, cpuTicks: f[11]! + f[12]!, startTime: f[19]!, rssPages: f[21]! };
}

/** One read serves a stat line (a few hundred bytes: the command name is at most 64). */
const statBuf = Buffer.allocUnsafe(4096);

export function readStat(pid: number): ProcStat | undefined {
  // Not readFileSync: a /proc file says its size is 0, so it reads into a new 64 KiB buffer
  // until EOF, after an fstat — four times the cost, for every process of every scan.
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return undefined;
  }
  try {
    return parseStatBytes(pid, statBuf, readSync(fd, statBuf, 0, statBuf.length, 0));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export const isLive = (s: ProcStat | undefined): s is ProcStat => !!s && s.state !== 'Z' && s.state !== 'X';

/** Live processes (zombies left out), read fresh. */
export function scanStats(): ProcStat[] {
  return readAll().filter(isLive);
}

function readAll(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const d of readdirSync('/proc')) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readStat(Number(d));
    if (st) out.push(st);
  }
  return out;
}

/** Alive, and — given a start time — still the process that started then (not a recycled pid). */
export function sameProcess(pid: number, startTime: number | null = null): boolean {
  const s = readStat(pid);
  return isLive(s) && (startTime === null || s.startTime === startTime);
}

/**
 * Does a live process remain in the group? A zombie does not count: an orphan that died waits
 * for its new parent (PID 1, or a subreaper) to collect it, and an init that collects late (a
 * container's, ~1 s here) would make every stop wait for it. The kernel's answer is asked
 * first; /proc is read only when the leader is gone and the group still answers.
 */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (isLive(readStat(pgid))) return true;
  const liveIn = (stats: ProcStat[]) => (statIndex(stats).byGroup.get(pgid) ?? []).some(isLive);
  // A recent table may say yes (a stop polls again); a no is confirmed by a fresh one.
  return liveIn(allStats()) || liveIn(allStats(0));
}

let snapshot: { at: number; stats: ProcStat[] } | undefined;

/** Every process's stat, cached for 50 ms so a burst of stops reads /proc once. */
export function allStats(maxAgeMs = 50): ProcStat[] {
  const now = Date.now();
  if (snapshot && now - snapshot.at <= maxAgeMs) return snapshot.stats;
  snapshot = { at: now, stats: readAll() };
  return snapshot.stats;
}

export interface StatIndex {
  byPid: Map<number, ProcStat>;
  byParent: Map<number, ProcStat[]>;
  byGroup: Map<number, ProcStat[]>;
}

// The index of the last table asked about, whichever scan made it: a usage sample asks for
// the tree of every running job against one table, and each must not index it again.
let indexed: { stats: ProcStat[]; index: StatIndex } | undefined;

/** Processes by pid, by parent and by group; built once per table (tables are not changed). */
export function statIndex(stats: ProcStat[]): StatIndex {
  if (indexed?.stats === stats) return indexed.index;
  const index: StatIndex = { byPid: new Map(), byParent: new Map(), byGroup: new Map() };
  const push = (m: Map<number, ProcStat[]>, k: number, st: ProcStat) => {
    const list = m.get(k);
    if (list) list.push(st);
    else m.set(k, [st]);
  };
  for (const st of stats) {
    index.byPid.set(st.pid, st);
    push(index.byParent, st.ppid, st);
    push(index.byGroup, st.pgid, st);
  }
  indexed = { stats, index };
  return index;
}

/** Live descendants of `root` (excluding it), from one snapshot of /proc (indexed once). */
export function descendantsOf(root: number, stats = allStats()): ProcStat[] {
  const { byParent } = statIndex(stats);
  const out: ProcStat[] = [];
  const stack = [root];
  while (stack.length) {
    for (const c of byParent.get(stack.pop()!) ?? []) {
      if (isLive(c)) out.push(c);
      stack.push(c.pid);
    }
  }
  return out;
}

/** Walks up from `pid` (at most `depth` steps) and returns the first ancestor in `wanted`. */
export function ancestorIn(pid: number, wanted: (pid: number) => boolean, depth = 32): number | undefined {
  let p = pid;
  for (let i = 0; i < depth && p > 1; i++) {
    const s = readStat(p);
    if (!s) return undefined;
    if (wanted(s.ppid)) return s.ppid;
    p = s.ppid;
  }
  return undefined;
}


// Per variable name: a shutdown stops workers (BL_PROCESS_ID) and jobs (BL_JOB_ID) at once,
// and one cache for both would read every environ again at each switch.
const envSnapshots = new Map<string, { at: number; byValue: Map<string, number[]> }>();

/**
 * Pids whose environment has `name=value`. Every worker and job gets a unique marker in its
 * environment, so a descendant that left the process group and lost its parent (reparented
 * to init) is still found when its worker is stopped. Cached for 50 ms per variable name.
 */
export function pidsWithMarker(name: string, value: string, maxAgeMs = 50): number[] {
  return markedPids(name, maxAgeMs).get(value) ?? [];
}

/** Every value of marker `name` found in a process's environment, with the pids that carry it. */
export function markedPids(name: string, maxAgeMs = 50): ReadonlyMap<string, number[]> {
  const now = Date.now();
  let snap = envSnapshots.get(name);
  if (!snap || now - snap.at > maxAgeMs) {
    const byValue = new Map<string, number[]>();
    const needle = `\0${name}=`;
    for (const d of readdirSync('/proc')) {
      const c = d.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      let env: string;
      try {
        env = '\0' + readFileSync(`/proc/${d}/environ`, 'latin1');
      } catch {
        continue;
      }
      const at = env.indexOf(needle);
      if (at < 0) continue;
      const start = at + needle.length;
      const end = env.indexOf('\0', start);
      const v = env.slice(start, end < 0 ? undefined : end);
      const list = byValue.get(v);
      if (list) list.push(Number(d));
      else byValue.set(v, [Number(d)]);
    }
    snap = { at: now, byValue };
    envSnapshots.set(name, snap);
  }
  return snap.byValue;
}

/**
 * Who a process group is: its leader's start time. With pid_max at 32768 pids wrap within
 * minutes of heavy spawning, and the kernel hands out a group's id again once the group is
 * empty — to a new leader (pid == pgid) with another start time. Whoever keeps signalling
 * `-pgid` while waiting for a group to empty checks this first, or it may kill a stranger.
 */
export interface GroupIdentity {
  pgid: number;
  /** Start time of the leader; null when it was already gone when we looked. */
  leaderStart: number | null;
}

export function groupIdentity(pgid: number, knownLeaderStart?: number | null): GroupIdentity {
  if (knownLeaderStart) return { pgid, leaderStart: knownLeaderStart };
  const s = readStat(pgid);
  return { pgid, leaderStart: s ? s.startTime : null };
}

/** Is `-pgid` still the group we mean (not a newer group that got the same id)? */
export function isSameGroup(id: GroupIdentity): boolean {
  const s = readStat(id.pgid);
  if (!s) return true; // the leader is gone; any members left are ours (a group id is not reused while it has members)
  return id.leaderStart !== null && s.startTime === id.leaderStart;
}
