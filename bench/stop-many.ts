// Stopping many workers, run by hand: `npm run build && node dist/bench/stop-many.js [n…]`
// (default 1000 2000). For each n: a task of n `sleep` workers in a real bl-daemon, timed from
// `POST /tasks/T/stop` until its reply (every worker gone) and from SIGTERM to the daemon
// until it exits with n workers running; beside them the baseline of the same run, n `sleep`
// processes started by this script and stopped with one `kill` of all their pids, timed until
// the last exit.
import { spawn, execFileSync } from 'node:child_process';
import { startDaemon } from '../test/helpers/daemon.js';
import { waitFor } from '../test/helpers/wait.js';
import { taskProcesses } from '../test/helpers/tasks.js';

const counts = process.argv.slice(2).map(Number);
const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

async function bl(n: number): Promise<{ stop: number; shutdown: number }> {
  const task = `Many${n}`;
  const config = { tasks: { [task]: { cmd: 'sleep', args: ['100000'], cardinality: n, max_cardinality: n, stall_timeout: 0 } } };
  const d = await startDaemon({ config });
  try {
    await waitFor(`${n} workers`, () => taskProcesses(task).length === n, { timeout: 600_000, interval: 200 });
    let t0 = process.hrtime.bigint();
    const r = await d.request('POST', `/tasks/${task}/stop`);
    const stop = secs(t0);
    if (r.status !== 200) throw new Error(`stop answered ${r.status}: ${r.text}`);
    if (taskProcesses(task).length) throw new Error('workers left after the stop');
    await d.request('POST', `/tasks/${task}/start`);
    await waitFor(`${n} workers again`, () => taskProcesses(task).length === n, { timeout: 600_000, interval: 200 });
    t0 = process.hrtime.bigint();
    const exit = await d.stop('SIGTERM');
    const shutdown = secs(t0);
    if (exit.code !== 0) throw new Error(`the daemon exited ${JSON.stringify(exit)}: ${d.err}`);
    if (taskProcesses(task).length) throw new Error('workers left after the shutdown');
    return { stop, shutdown };
  } finally {
    d.cleanup();
  }
}

async function baseline(n: number): Promise<number> {
  const exits: Promise<void>[] = [];
  const pids: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = spawn('sleep', ['100000'], { detached: true, stdio: 'ignore' });
    pids.push(c.pid!);
    exits.push(new Promise((r) => c.once('exit', () => r())));
  }
  const t0 = process.hrtime.bigint();
  execFileSync('kill', pids.map(String));
  await Promise.all(exits);
  return secs(t0);
}

console.log('    n    bl stop   bl shutdown   kill baseline   (s)');
for (const n of counts.length ? counts : [1000, 2000]) {
  const b = await bl(n);
  const k = await baseline(n);
  console.log(`${String(n).padStart(5)}   ${b.stop.toFixed(2).padStart(7)}   ${b.shutdown.toFixed(2).padStart(10)}   ${k.toFixed(2).padStart(12)}`);
}
