// Broker benchmark, run by hand (not part of npm test): `npx tsc -p . && node dist/bench/broker.js`.
// Prints each figure beside a baseline measured in the same run (xargs), on the same machine.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDaemon } from '../test/helpers/daemon.js';
import { sleep } from '../test/helpers/wait.js';
import { runBatch } from './run-batch.js';

// The daemon runs as its bin does (test/helpers programArgv: its shebang's Node flags);
// `--node-options=...` adds NODE_OPTIONS for it (and its helpers); other arguments pick
// sections: true sleep latency submit rss.
const nodeOptions = process.argv.find((a) => a.startsWith('--node-options='))?.slice('--node-options='.length);
// `--node-arg=...` (repeatable): a Node flag for the daemon alone (--cpu-prof).
const nodeArgs = process.argv.filter((a) => a.startsWith('--node-arg=')).map((a) => a.slice('--node-arg='.length));
/** How every daemon of this bench is started (--node-options, --node-arg). */
const runAs: { env: Record<string, string>; nodeArgs: string[] } = { env: nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}, nodeArgs };
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const want = (name: string) => only.length === 0 || only.includes(name);

/**
 * Seconds a shell command takes. Not execSync: a blocked event loop keeps fetch's pooled
 * keep-alive connections past the daemon's timeout, and the next requests met closed sockets.
 */
function timeShell(cmd: string): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    spawn('/bin/bash', ['-c', cmd], { stdio: 'ignore' })
      .on('error', reject)
      .on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t) / 1e9) : reject(new Error(`${cmd}: exit ${code}`))));
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

const BARE_POOL = `const { spawn } = require("node:child_process"); let n = 0, done = 0;
const one = () => { if (n++ >= 2000) return; spawn("/bin/true", [], { stdio: "ignore", detached: true }).on("exit", () => { if (++done < 2000) one(); }); };
one(); one();`;

// What every job of the broker needs besides a spawn: its own log file, its cwd, its env.
const LOG_POOL = `const { spawn } = require("node:child_process"); const fs = require("node:fs"); let n = 0, done = 0;
const one = () => { const i = n++; if (i >= 2000) return; fs.open(process.argv[1] + "/" + i + ".log", "a", (e, fd) => {
  spawn("/bin/true", [], { stdio: ["ignore", fd, fd], detached: true, cwd: "/tmp", env: { ...process.env, BL_JOB_ID: String(i) } })
    .on("exit", () => { if (++done < 2000) one(); }); fs.close(fd, () => {}); }); };
one(); one();`;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (a: number[]) => pct(a, 50);
const pct = (a: number[], p: number) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((a.length * p) / 100))]!;
const f = (x: number, d = 2) => x.toFixed(d);

async function main(): Promise<void> {
  const d = await startDaemon({ config: { broker: { concurrency: 2 } }, ...runAs });
  console.log(`bench: daemon pid ${d.pid}${nodeOptions ? ` (NODE_OPTIONS=${nodeOptions})` : ''}, ${readdirSync('/sys/devices/system/cpu').filter((c) => /^cpu\d+$/.test(c)).length} cpus, node ${process.version}`);
  try {
    // Rounds interleave the baseline and the broker, so a busy neighbour (this is often a
    // shared VM) weighs on both; the median of each and every round are printed.
    if (want('true')) {
      const rows: Record<string, number[]> = { xargs: [], pool: [], logPool: [], sh: [], argv: [] };
      for (let r = 0; r < ROUNDS; r++) {
        rows.xargs!.push(await timeShell('seq 2000 | xargs -P2 -I{} /bin/true'));
        // The ceiling for any launcher that spawns from Node: a bare pool, no store, no logs.
        rows.pool!.push(await timeShell(`${process.execPath} -e '${BARE_POOL}'`));
        const logDir = mkdtempSync(path.join(tmpdir(), 'bl-bench-logs-'));
        rows.logPool!.push(await timeShell(`${process.execPath} -e '${LOG_POOL}' ${logDir}`));
        rmSync(logDir, { recursive: true, force: true });
        rows.sh!.push(await runBatch(d, 2000, 2, { command: '/bin/true' }));
        rows.argv!.push(await runBatch(d, 2000, 2, { argv: ['/bin/true'] }));
      }
      const x = median(rows.xargs!);
      const show = (k: string) => `${f(median(rows[k]!))} s = ${f(x / median(rows[k]!))}× xargs [${rows[k]!.map((v) => f(v)).join(', ')}]`;
      console.log(`2000 × /bin/true, concurrency 2 (median of ${ROUNDS} rounds [each round]):`);
      console.log(`  xargs -P2 ${f(x)} s [${rows.xargs!.map((v) => f(v)).join(', ')}]`);
      console.log(`  bare Node spawn pool ${show('pool')}`);
      console.log(`  the same pool with a log file, cwd and env a job ${show('logPool')}`);
      console.log(`  broker, command (/bin/sh -c or exec) ${show('sh')}`);
      console.log(`  broker, argv ${show('argv')}`);
    }
    if (want('sleep')) {
      const xs: number[] = [];
      const bs: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        xs.push(await timeShell('seq 200 | xargs -P8 -I{} sleep 0.05'));
        bs.push(await runBatch(d, 200, 8, { command: 'sleep 0.05' }));
      }
      const ideal = 1.25;
      const over = (v: number) => `+${f((v / ideal - 1) * 100, 1)}%`;
      console.log(`200 × sleep 0.05, concurrency 8 (ideal ${ideal} s; median of ${ROUNDS} [each]): xargs -P8 ${f(median(xs))} s (${over(median(xs))}) [${xs.map(over).join(', ')}]; broker ${f(median(bs))} s (${over(median(bs))}) [${bs.map(over).join(', ')}]`);
    }
    if (want('latency')) {
      await d.api('POST', '/broker/purge');
      await d.api('PUT', '/broker/concurrency/2');
      const work = mkdtempSync(path.join(tmpdir(), 'bl-bench-'));
      const lat: number[] = [];
      for (let i = 0; i < 100; i++) {
        const mark = path.join(work, `m${i}`);
        const t0 = Date.now() * 1e6;
        const j = await d.api('POST', '/jobs', { command: `date +%s%N > ${mark}`, cwd: work });
        for (;;) {
          const s = (await d.api('GET', `/jobs/${j.id}`)).state;
          if (s !== 'pending' && s !== 'running') break;
          await sleep(5);
        }
        lat.push((Number(readFileSync(mark, 'utf8')) - t0) / 1e6);
      }
      rmSync(work, { recursive: true, force: true });
      // Baseline: the same `date` started straight from this process, no broker.
      const direct: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t0 = Date.now() * 1e6;
        const out = spawnSync('/bin/sh', ['-c', 'date +%s%N'], { encoding: 'utf8' }).stdout;
        direct.push((Number(out) - t0) / 1e6);
      }
      console.log(`submit→start latency, idle broker (HTTP submit until the job's first command runs; 100 runs): median ${f(pct(lat, 50), 1)} ms, p99 ${f(pct(lat, 99), 1)} ms; spawnSync of the same sh here: median ${f(pct(direct, 50), 1)} ms`);
    }
    if (want('submit')) {
      await d.api('POST', '/broker/purge');
      await d.api('PUT', '/broker/concurrency/0');
      const body = Array.from({ length: 10000 }, (_, i) => ({ command: `echo ${i}`, cwd: '/tmp' }));
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = process.hrtime.bigint();
        await d.api('POST', '/jobs', body);
        times.push(Number(process.hrtime.bigint() - t) / 1e9);
      }
      const best = Math.min(...times);
      console.log(`batch submit: 10,000 jobs a request, best of 5 ${f(best * 1000, 0)} ms = ${f(10000 / best, 0)} jobs/s (median ${f(pct(times, 50) * 1000, 0)} ms)`);
      await d.api('POST', '/broker/purge-pending');
    }
    if (want('rss')) await rssSection();
  } finally {
    await d.stop();
    d.cleanup();
  }
}

/** A fresh daemon, so the heap left by the other sections does not blur the trend. */
async function rssSection(): Promise<void> {
  const d = await startDaemon({ config: { broker: { concurrency: 0 } }, ...runAs });
  try {
    const body = Array.from({ length: 10000 }, (_, i) => ({ command: `echo ${i}`, cwd: '/tmp' }));
    const settle = async () => {
      await sleep(1500);
      return rssMb(d.pid);
    };
    const marks: string[] = [`0: ${f(await settle(), 0)} MB`];
    const t = Date.now();
    let submitMs = 0;
    for (let i = 1; i <= 100; i++) {
      const t1 = Date.now();
      // Text reply: 10,000 short lines, not 10,000 job objects.
      const r = await d.request('POST', '/jobs', body);
      if (r.status !== 201) throw new Error(`submit ${i}: ${r.status} ${r.text.slice(0, 200)}`);
      submitMs += Date.now() - t1;
      if (i % 20 === 0 || i === 1) marks.push(`${i * 10}k: ${f(await settle(), 0)} MB`);
    }
    const st = await d.api('GET', '/broker');
    // Dispatch at the head of a million: how long 200 quick jobs take to run.
    await d.api('PUT', '/broker/concurrency/2');
    const t2 = process.hrtime.bigint();
    for (;;) {
      const b = await d.api('GET', '/broker');
      if (b.counts.succeeded >= 200) break;
      await sleep(10);
    }
    const runS = Number(process.hrtime.bigint() - t2) / 1e9;
    await d.api('PUT', '/broker/concurrency/0');
    console.log(`daemon RSS by pending jobs (${st.pending} pending; 100 submits of 10,000 in ${f(submitMs / 1000, 1)} s, ${f((Date.now() - t) / 1000, 0)} s with pauses): ${marks.join(', ')}`);
    console.log(`dispatch at the head of ${st.pending} pending: 200 × echo at concurrency 2 in ${f(runS)} s; RSS then ${f(rssMb(d.pid), 0)} MB`);
    const t3 = Date.now();
    await d.api('POST', '/broker/purge-pending');
    console.log(`purge-pending of ${st.pending - 200} jobs: ${Date.now() - t3} ms`);
  } finally {
    await d.stop();
    d.cleanup();
  }
}

await main();
