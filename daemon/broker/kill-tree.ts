// Stopping a job's whole tree: SIGTERM to its group and to every other member (descendants
// that left the group, marked escapees, pids seen by the sampler), wait up to the grace,
// then SIGKILL whatever is left. Says whether it had to force (execa's report of a stop).
import { readStat, signalTree, treeOf, type TreeRoot } from './proc-tree.js';

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
function members(root: TreeRoot, known: Map<number, number>): number[] {
  const pids = new Set(treeOf(root).map((s) => s.pid));
  for (const [pid, start] of known) {
    const s = readStat(pid);
    if (s && s.state !== 'Z' && s.startTime === start) pids.add(pid);
  }
  return [...pids];
}

function send(pids: number[], root: TreeRoot, sig: NodeJS.Signals): void {
  signalTree(root, sig);
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
  let left = members(root, known);
  if (left.length === 0) return { forced: false };
  send(left, root, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && !hurry?.aborted) {
    await sleep(POLL_MS, hurry);
    left = members(root, known);
    if (left.length === 0) return { forced: false };
  }
  send(left, root, 'SIGKILL');
  const killDeadline = Date.now() + KILL_WAIT_MS;
  while (members(root, known).length > 0 && Date.now() < killDeadline) {
    await sleep(POLL_MS);
    send(members(root, known), root, 'SIGKILL');
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
