// Where a broker batch's CPU goes, run by hand: `node dist/bench/cpu-split.js [n] [concurrency]`.
// Prints the CPU seconds of the daemon, of its spawner helpers and of everything else
// (the jobs, this script) over one timed batch of /bin/true, beside its wall time.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { startDaemon } from '../test/helpers/daemon.js';
import { CLOCK_TICKS, readStat, scanStats } from '../proc/stat.js';
import { runBatch } from './run-batch.js';

const n = Number(process.argv[2] ?? 2000);
const c = Number(process.argv[3] ?? 2);
const cpuOf = (pid: number): number => (readStat(pid)?.cpuTicks ?? 0) / CLOCK_TICKS;
const children = (pid: number): number[] => scanStats().filter((s) => s.ppid === pid).map((s) => s.pid);

function total(): number {
  const s = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return (s[0]! + s[1]! + s[2]! + s[5]! + s[6]!) / CLOCK_TICKS; // user nice system irq softirq
}

const d = await startDaemon({ config: { broker: { concurrency: c } } });
try {
  await runBatch(d, 200, c, { command: '/bin/true' }); // helpers started, caches warm
  const helpers = children(d.pid);
  const before = { daemon: cpuOf(d.pid), helpers: helpers.map(cpuOf), all: total() };
  const wall = await runBatch(d, n, c, { command: '/bin/true' });
  const daemon = cpuOf(d.pid) - before.daemon;
  const help = helpers.map(cpuOf).reduce((a, b) => a + b, 0) - before.helpers.reduce((a, b) => a + b, 0);
  const all = total() - before.all;
  console.log(`${n} × /bin/true at ${c}: wall ${wall.toFixed(2)} s; CPU s: daemon ${daemon.toFixed(2)}, ${helpers.length} helpers ${help.toFixed(2)}, rest ${(all - daemon - help).toFixed(2)} (machine ${all.toFixed(2)} of ${(wall * os.availableParallelism()).toFixed(2)} possible)`);
} finally {
  await d.stop();
}
