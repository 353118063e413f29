// Stopping a process and everything it started — a worker of the supervisor or a job of the
// broker alike: SIGTERM to its group and to its processes outside the group, wait up to the
// grace period, then SIGKILL. The result says whether the kill was forced and how long it
// took (execa's way of reporting a stop). Never throws: callers fire and forget.
import { allStats, descendantsOf, groupExists, groupIdentity, isLive, isSameGroup, markedPids, pidsWithMarker, readStat, sameProcess, statIndex, type ProcStat } from './stat.js';

export interface StopResult {
  forced: boolean;
  /** ms from SIGTERM until no process of the group (or its escaped descendants) was left. */
  took: number;
}

export interface StopOptions {
  pid: number;
  pgid?: number;
  grace: number;
  signal?: NodeJS.Signals;
  /** The leader's start time, if known (guards against a reused group id). */
  leaderStart?: number | null;
  /** An environment variable every process of the tree carries (`BL_PROCESS_ID=…`, `BL_JOB_ID=…`). */
  marker?: { name: string; value: string };
  /** Pids seen earlier in the tree, with their start times (the broker's usage samples). */
  known?: ReadonlyMap<number, number>;
  /** Polling interval while waiting for the tree to empty. */
  interval?: number;
  /** Aborted (a second CTRL+C): the rest of the grace period is skipped. */
  abort?: AbortSignal;
}

const KILL_WAIT_MS = 5000;

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is already gone
  }
}

/** Whether the signal went out (false: the process is gone already, or not ours). */
export function signalPid(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

type Proc = { pid: number; startTime: number };

/**
 * Processes of the tree outside its group: they would escape a group signal. Found by
 * parentage while the leader lives, by the environment marker after it died, and among the
 * pids seen earlier.
 */
function escapees(o: StopOptions, pgid: number): Proc[] {
  const found = new Map<number, number>();
  // One snapshot of /proc serves a whole burst of stops (a scale-down of 1000 read /proc
  // 1000 times, blocking the daemon for half a minute).
  for (const s of descendantsOf(o.pid, allStats())) if (s.pgid !== pgid) found.set(s.pid, s.startTime);
  if (o.marker) {
    for (const p of pidsWithMarker(o.marker.name, o.marker.value)) {
      const s = readStat(p);
      if (isLive(s) && s.pgid !== pgid && p !== process.pid) found.set(p, s.startTime);
    }
  }
  for (const [p, start] of o.known ?? []) {
    const s = readStat(p);
    if (isLive(s) && s.pgid !== pgid && s.startTime === start) found.set(p, start);
  }
  return [...found].map(([pid, startTime]) => ({ pid, startTime }));
}

const stillThere = (p: Proc) => sameProcess(p.pid, p.startTime);

function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const done = () => {
      clearTimeout(t);
      abort?.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, ms);
    abort?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when nothing of the tree is left (or 5 s after the SIGKILL at the latest). */
export async function stopTree(o: StopOptions): Promise<StopResult> {
  const start = Date.now();
  try {
    return await stop(o, start);
  } catch (e) {
    // An unreadable /proc must not become an unhandled rejection; the group got what was sent.
    console.error(`bl-daemon: stopping the process tree of ${o.pid} failed: ${(e as Error).message}`);
    return { forced: false, took: Date.now() - start };
  }
}

async function stop(o: StopOptions, start: number): Promise<StopResult> {
  const { pid, pgid = pid, grace, signal = 'SIGTERM', interval = 10, abort } = o;
  const group = groupIdentity(pgid, o.leaderStart ?? o.known?.get(pid));
  const ours = () => isSameGroup(group);
  const escaped = escapees(o, pgid);
  const left = () => (ours() && groupExists(pgid)) || escaped.some(stillThere);
  const signalOurGroup = (sig: NodeJS.Signals) => {
    if (ours()) signalGroup(pgid, sig);
  };
  signalOurGroup(signal);
  for (const p of escaped) signalPid(p.pid, signal);
  // A stopped (SIGSTOP) process does not act on SIGTERM until continued.
  signalOurGroup('SIGCONT');
  const deadline = start + grace;
  while (left()) {
    if (Date.now() >= deadline || abort?.aborted) {
      signalOurGroup('SIGKILL');
      for (const p of escaped) if (stillThere(p)) signalPid(p.pid, 'SIGKILL');
      // Processes started during the grace period are found again before the last kill.
      for (const p of escapees(o, pgid)) signalPid(p.pid, 'SIGKILL');
      const killAt = Date.now();
      while (left() && Date.now() - killAt < KILL_WAIT_MS) {
        await sleep(interval);
        signalOurGroup('SIGKILL');
      }
      return { forced: true, took: Date.now() - start };
    }
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())), abort);
  }
  return { forced: false, took: Date.now() - start };
}

/** One tree of a batch: what `stopTree` takes but the timing, which the batch shares. */
export type TreeToStop = Pick<StopOptions, 'pid' | 'pgid' | 'leaderStart' | 'marker' | 'known'>;

export interface BatchOptions {
  grace: number;
  signal?: NodeJS.Signals;
  abort?: AbortSignal;
}

/**
 * Stops many trees at once, as `stopTree` stops one: one scan of /proc (and of the markers'
 * environments) finds every tree's escapees, every group gets its SIGTERM, one grace period
 * runs for all, and each wait round asks the kernel about every group left and reads /proc
 * once, not once a tree. One promise a tree, in order, each resolving when that tree is gone.
 * A task of 2000 workers stopped tree by tree polled /proc 2000 times a round and starved the
 * loop that reaps the exits it waited for (bench/stop-many.ts).
 */
export function stopTrees(trees: TreeToStop[], o: BatchOptions): Promise<StopResult>[] {
  const start = Date.now();
  const results = trees.map(() => {
    let resolve!: (r: StopResult) => void;
    const promise = new Promise<StopResult>((r) => (resolve = r));
    return { promise, resolve };
  });
  stopAll(trees, o, start, (i, r) => results[i]!.resolve(r)).catch((e) => {
    console.error(`bl-daemon: stopping ${trees.length} process trees failed: ${(e as Error).message}`);
    for (const r of results) r.resolve({ forced: false, took: Date.now() - start });
  });
  return results.map((r) => r.promise);
}

interface BatchTree {
  i: number;
  pgid: number;
  /** The group's leader's start time (null: gone when we looked). */
  leaderStart: number | null;
  escaped: Proc[];
  tree: TreeToStop;
}

/** Escapees of every tree from one table and one read of each marker's environments. */
function batchEscapees(list: BatchTree[], stats: ProcStat[]): void {
  const { byPid } = statIndex(stats);
  // Each marker's environments read once, fresh, for the whole batch.
  const marks = new Map<string, ReadonlyMap<string, number[]>>();
  const marked = (name: string) => {
    let m = marks.get(name);
    if (!m) marks.set(name, (m = markedPids(name, 0)));
    return m;
  };
  for (const t of list) {
    const found = new Map<number, number>();
    for (const s of descendantsOf(t.tree.pid, stats)) if (s.pgid !== t.pgid) found.set(s.pid, s.startTime);
    if (t.tree.marker) {
      for (const p of marked(t.tree.marker.name).get(t.tree.marker.value) ?? []) {
        const s = byPid.get(p);
        if (isLive(s) && s.pgid !== t.pgid && p !== process.pid) found.set(p, s.startTime);
      }
    }
    for (const [p, st] of t.tree.known ?? []) {
      const s = byPid.get(p);
      if (isLive(s) && s.pgid !== t.pgid && s.startTime === st) found.set(p, st);
    }
    t.escaped = [...found].map(([pid, startTime]) => ({ pid, startTime }));
  }
}

async function stopAll(trees: TreeToStop[], o: BatchOptions, start: number, done: (i: number, r: StopResult) => void): Promise<void> {
  const { grace, signal = 'SIGTERM', abort } = o;
  let stats = allStats(0);
  let byPid = statIndex(stats).byPid;
  // A group is ours while its leader is the process we started (or is gone: a group id is not
  // handed out again while it has members).
  const list: BatchTree[] = trees.map((tree, i) => {
    const pgid = tree.pgid ?? tree.pid;
    const leader = byPid.get(pgid);
    // 0 is no start time (a stat that could not be read at the spawn), as stopTree takes it.
    const leaderStart = tree.leaderStart || tree.known?.get(tree.pid) || leader?.startTime || null;
    return { i, pgid, leaderStart, escaped: [], tree };
  });
  batchEscapees(list, stats);
  const ours = (t: BatchTree) => {
    const s = byPid.get(t.pgid);
    return !s || (t.leaderStart !== null && s.startTime === t.leaderStart);
  };
  for (const t of list) {
    if (ours(t)) signalGroup(t.pgid, signal);
    for (const p of t.escaped) signalPid(p.pid, signal);
    // A stopped (SIGSTOP) process does not act on SIGTERM until continued.
    if (ours(t)) signalGroup(t.pgid, 'SIGCONT');
  }
  let left = list;
  /** Whether anything of the tree lives, by the kernel first and the last table after. */
  const alive = (t: BatchTree, table: Map<number, ProcStat[]>, pids: Map<number, ProcStat>) => {
    const groupLive = ours(t) && (table.get(t.pgid) ?? []).some(isLive);
    return groupLive || t.escaped.some((p) => pids.get(p.pid)?.startTime === p.startTime && isLive(pids.get(p.pid)));
  };
  const sweep = (forced: boolean): void => {
    // The kernel answers for a group in a syscall; only groups that still answer (maybe with
    // zombies only) and escapees need the table, read once for all.
    const maybe = left.filter((t) => groupAnswers(t.pgid) || t.escaped.length > 0);
    for (const t of left) if (!maybe.includes(t)) done(t.i, { forced, took: Date.now() - start });
    if (maybe.length === 0) {
      left = [];
      return;
    }
    stats = allStats(0);
    const idx = statIndex(stats);
    byPid = idx.byPid;
    left = maybe.filter((t) => {
      if (alive(t, idx.byGroup, idx.byPid)) return true;
      done(t.i, { forced, took: Date.now() - start });
      return false;
    });
  };
  const deadline = start + grace;
  for (;;) {
    const t0 = Date.now();
    sweep(false);
    if (left.length === 0) return;
    if (Date.now() >= deadline || abort?.aborted) break;
    // Each round costs a read of /proc: with thousands of processes the rounds are spaced by
    // their cost, so the loop is free to reap the exits it waits for.
    const cost = Date.now() - t0;
    await sleep(Math.min(Math.max(10, 4 * cost), 200, Math.max(1, deadline - Date.now())), abort);
  }
  // Past the grace period: SIGKILL to what is left, and to what started meanwhile.
  stats = allStats(0);
  byPid = statIndex(stats).byPid;
  for (const t of left) {
    if (ours(t)) signalGroup(t.pgid, 'SIGKILL');
    for (const p of t.escaped) if (stillThere(p)) signalPid(p.pid, 'SIGKILL');
  }
  const before = new Map(left.map((t) => [t, t.escaped]));
  batchEscapees(left, stats);
  for (const t of left) {
    for (const p of t.escaped) signalPid(p.pid, 'SIGKILL');
    t.escaped = [...before.get(t)!, ...t.escaped];
  }
  const killAt = Date.now();
  while (left.length && Date.now() - killAt < KILL_WAIT_MS) {
    await sleep(20);
    for (const t of left) if (ours(t)) signalGroup(t.pgid, 'SIGKILL');
    sweep(true);
  }
  for (const t of left) done(t.i, { forced: true, took: Date.now() - start });
}

/** Does the kernel still know a process in the group (a zombie counts)? */
function groupAnswers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type Queued = { trees: TreeToStop[]; resolve: ((r: StopResult) => void)[]; o: BatchOptions };
const queued = new Map<string, Queued>();

/**
 * `stopTree` for callers that stop many at once without knowing it (a task's stop, a
 * shutdown's every task): the stops asked for in one turn of the event loop with the same
 * grace and signal go out as one `stopTrees` batch.
 */
export function stopTreeBatched(tree: TreeToStop, o: BatchOptions): Promise<StopResult> {
  const key = `${o.grace}\0${o.signal ?? 'SIGTERM'}`;
  let q = queued.get(key);
  if (!q || q.o.abort !== o.abort) {
    if (q) flush(key);
    q = { trees: [], resolve: [], o };
    queued.set(key, q);
    setImmediate(() => flush(key));
  }
  q.trees.push(tree);
  return new Promise((r) => q.resolve.push(r));
}

function flush(key: string): void {
  const q = queued.get(key);
  if (!q) return;
  queued.delete(key);
  // One alone goes the way of stopTree (a stall, a crash's clean-up): its polling is cheap.
  if (q.trees.length === 1) {
    void stopTree({ ...q.trees[0]!, ...q.o }).then(q.resolve[0]);
    return;
  }
  stopTrees(q.trees, q.o).forEach((p, i) => void p.then(q.resolve[i]));
}
