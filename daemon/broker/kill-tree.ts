// Stopping a job's whole tree: SIGTERM to its group and to every other member (descendants
// that left the group, marked escapees, pids seen by the sampler), wait up to the grace,
// then SIGKILL whatever is left. Says whether it had to force (execa's report of a stop).
import { readStat, signalTree, treeOf, type TreeRoot } from './proc-tree.js';
import { groupIdentity, isSameGroup, type GroupIdentity } from '../proc/stat.js';

/**
 * The root to look for: the job's group while it is still the job's; once its id went to a
 * newer group (pids wrap), only the marker and the pids seen earlier lead to the job's
 * processes — matching by pid or group then would catch a stranger.
 */
function rootNow(root: TreeRoot, group: GroupIdentity): TreeRoot | undefined {
  if (isSameGroup(group)) return root;
  return root.marker === undefined ? undefined : { pid: -1, pgid: -1, marker: root.marker };
}

const POLL_MS = 50;
const KILL_WAIT_MS = 3000;

function sleep(ms: number, hurry?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      hurry?.removeEventListener('abort', done);
      r();
    }
    hurry?.addEventListener('abort', done, { once: true });
  });
}

/** Live members: the tree from /proc plus known pids that still are the same process. */
function members(root: TreeRoot, known: Map<number, number>, group: GroupIdentity): number[] {
  const r = rootNow(root, group);
  const pids = new Set(r ? treeOf(r).map((s) => s.pid) : []);
  for (const [pid, start] of known) {
    const s = readStat(pid);
    if (s && s.state !== 'Z' && s.startTime === start) pids.add(pid);
  }
  return [...pids];
}

function send(pids: number[], root: TreeRoot, sig: NodeJS.Signals, group: GroupIdentity): void {
  if (isSameGroup(group)) signalTree(root, sig);
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone meanwhile
    }
  }
}

/** `hurry` (a second CTRL+C) cuts the grace short: SIGKILL at once. */
export async function terminateTree(root: TreeRoot, known: Map<number, number>, graceMs: number, hurry?: AbortSignal): Promise<{ forced: boolean }> {
  try {
    return await stopTree(root, known, graceMs, hurry);
  } catch (e) {
    // Callers fire and forget: a failure here (an unreadable /proc) must not become an
    // unhandled rejection that takes the daemon down; the group still got what was sent.
    console.error(`bl-daemon: stopping the process tree of ${root.pid} failed: ${(e as Error).message}`);
    return { forced: false };
  }
}

async function stopTree(root: TreeRoot, known: Map<number, number>, graceMs: number, hurry?: AbortSignal): Promise<{ forced: boolean }> {
  const group = groupIdentity(root.pgid, root.pgid === root.pid ? known.get(root.pid) : undefined);
  let left = members(root, known, group);
  if (left.length === 0) return { forced: false };
  send(left, root, 'SIGTERM', group);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && !hurry?.aborted) {
    await sleep(POLL_MS, hurry);
    left = members(root, known, group);
    if (left.length === 0) return { forced: false };
  }
  send(left, root, 'SIGKILL', group);
  const killDeadline = Date.now() + KILL_WAIT_MS;
  while (members(root, known, group).length > 0 && Date.now() < killDeadline) {
    await sleep(POLL_MS);
    send(members(root, known, group), root, 'SIGKILL', group);
  }
  return { forced: true };
}

/** Does any process remain in the group? (one syscall, for the common case of none) */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
