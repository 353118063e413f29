// Remote launcher benchmark, run by hand (not part of npm test):
// `npx tsc -p . && node dist/bench/launchers.js [rounds] [jobs]`.
// 1. Jobs/s of /bin/true through 2 bl-launchers × 2 slots over loopback, beside the daemon's
//    built-in launcher at concurrency 4 measured in the same run (rounds interleaved: the VM is
//    shared and noisy, so medians and every round are printed).
// 2. Re-queue time after a launcher's kill -9 against lease_ttl: the lease runs from the last
//    heartbeat (sent every third of the lease), so it lands between 2/3 and 1 lease after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../test/helpers/daemon.js';
import { sleep } from '../test/helpers/wait.js';
import { runBatch } from './run-batch.js';
import { startLauncher, type TestLauncher } from '../test/launcher/launcher-helpers.js';

const rounds = Number(process.argv[2] ?? 3);
const jobs = Number(process.argv[3] ?? 1000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** n jobs of /bin/true at concurrency 4; jobs a second. */
async function batch(d: TestDaemon, n: number): Promise<number> {
  return n / (await runBatch(d, n, 4, { command: '/bin/true' }));
}

async function throughput(): Promise<void> {
  const local = await startDaemon({ config: { broker: { concurrency: 4 } } });
  const remote = await startDaemon({ config: { broker: { concurrency: 4, local_slots: 0 } } });
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-bench-launchers-'));
  const ls: TestLauncher[] = ['L1', 'L2'].map((name) => startLauncher({ url: remote.url, name, slots: 2, stateDir: path.join(dir, name) }));
  try {
    for (;;) {
      const b = await remote.api('GET', '/broker');
      if (b.launchers.length === 3) break;
      await sleep(100);
    }
    const got: { local: number[]; remote: number[] } = { local: [], remote: [] };
    for (let r = 1; r <= rounds; r++) {
      got.local.push(await batch(local, jobs));
      got.remote.push(await batch(remote, jobs));
      console.log(`round ${r}: built-in launcher ${got.local.at(-1)!.toFixed(0)} jobs/s, 2 launchers × 2 slots ${got.remote.at(-1)!.toFixed(0)} jobs/s`);
    }
    console.log(`\n/bin/true, ${jobs} jobs a round, ${rounds} rounds, concurrency 4 (medians):`);
    console.log(`  built-in launcher (baseline):     ${median(got.local).toFixed(0)} jobs/s`);
    console.log(`  2 bl-launchers × 2 slots (HTTP):  ${median(got.remote).toFixed(0)} jobs/s (${((median(got.remote) / median(got.local)) * 100).toFixed(0)}% of the built-in)`);
  } finally {
    for (const l of ls) {
      l.proc.kill('SIGTERM');
      await l.exited;
    }
    await Promise.all([local.stop(), remote.stop()]);
    local.cleanup();
    remote.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function requeue(ttl: number, samples: number): Promise<number[]> {
  const d = await startDaemon({ config: { broker: { concurrency: 4, local_slots: 0, lease_ttl: ttl, retries: 100 } } });
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-bench-requeue-'));
  const out: number[] = [];
  try {
    const j = await d.api('POST', '/jobs', { command: 'sleep 600', cwd: '/tmp' });
    for (let i = 0; i < samples; i++) {
      const l = startLauncher({ url: d.url, name: `R${i}`, stateDir: path.join(dir, `r${i}`) });
      let attempt = 0;
      for (;;) {
        const x = await d.api('GET', `/jobs/${j.id}`);
        if (x.state === 'running' && x.launcher === `R${i}` && x.pid !== null) {
          attempt = x.attempt;
          break;
        }
        await sleep(20);
      }
      // Kill at a random point of the heartbeat cycle.
      await sleep(Math.random() * (ttl * 1000) / 3);
      await l.kill9();
      const t = Date.now();
      for (;;) {
        const x = await d.api('GET', `/jobs/${j.id}`);
        if (x.attempt > attempt) break;
        await sleep(10);
      }
      out.push((Date.now() - t) / 1000);
    }
    await d.api('DELETE', `/jobs/${j.id}`).catch(() => undefined);
  } finally {
    await d.stop();
    d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

await throughput();
console.log('\nre-queue after kill -9 of the launcher (seconds from the kill to the next attempt):');
for (const ttl of [2, 5]) {
  const s = await requeue(ttl, 5);
  console.log(`  lease_ttl ${ttl} s: ${s.map((x) => x.toFixed(2)).join(', ')} (median ${median(s).toFixed(2)}; expected ${((2 * ttl) / 3).toFixed(2)}–${ttl})`);
}
