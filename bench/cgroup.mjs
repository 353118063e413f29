#!/usr/bin/env node
// What holding every job and worker in a cgroup costs, run by hand (not part of npm test):
//   npm run build && node bench/cgroup.mjs [batch] [restart]
// Two daemons, `cgroups: true` and `cgroups: false`, measured in turns (the machine is shared:
// a burst of load elsewhere falls on both alike), beside a baseline of the same run:
//   batch:   2000 × /bin/true at concurrency 2 through the broker, and `xargs -P2` (the same
//            timing as bench/broker.ts: release of the queue → the last job's recorded end)
//   restart: kill -9 of a worker → a new `sleep <token>` exists in /proc (1 ms polls); with
//            cgroups the replacement goes through the shell that enters its cgroup first.
// BENCH_ROUNDS (default 3) batch rounds, BENCH_KILLS (default 30) kills a daemon. The load
// average before and after is printed: figures from a loaded machine say so.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from '../dist/test/helpers/daemon.js';
import { pidsWithEnv } from '../dist/test/helpers/proc.js';
import { runBatch } from '../dist/bench/run-batch.js';
import { listPids, nowMs, pidsOfTokens, sleep, waitNewPidSync } from './lib/proc.mjs';

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const want = (name) => only.length === 0 || only.includes(name);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KILLS = Number(process.env.BENCH_KILLS ?? 30);
const MIN_UPTIME = 200;
const SPACING = 300;

const pct = (a, p) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((a.length * p) / 100))];
const median = (a) => pct(a, 50);
const f = (x, d = 2) => x.toFixed(d);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

function timeShell(cmd) {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    spawn('/bin/bash', ['-c', cmd], { stdio: 'ignore' })
      .on('error', reject)
      .on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t) / 1e9) : reject(new Error(`${cmd}: exit ${code}`))));
  });
}

const token = String(800000000 + Math.floor(Math.random() * 90000) * 100);
const tokens = { on: `${token}1`, off: `${token}2` };

async function main() {
  console.log(`bench: ${os.cpus().length} cpus, node ${process.version}, load average ${load()} (1, 5, 15 min)`);
  const daemons = {};
  try {
    for (const mode of ['on', 'off']) {
      daemons[mode] = await startDaemon({
        config: {
          cgroups: mode === 'on',
          broker: { concurrency: 2 },
          tasks: { R: { cmd: 'sleep', args: [tokens[mode]], stall_timeout: 0, min_uptime: MIN_UPTIME, cardinality: 1 } },
        },
      });
    }
    const h = await daemons.on.api('GET', '/healthz');
    console.log(`cgroups on: ${h.cgroups.mode} under ${h.cgroups.root} (${Object.entries(h.cgroups.controllers).map(([c, v]) => `${c} ${v ?? 'none'}`).join(', ')}; stop by ${h.cgroups.kill})`);
    if (want('batch')) {
      const rows = { xargs: [], on: [], off: [] };
      for (let r = 0; r < ROUNDS; r++) {
        rows.xargs.push(await timeShell('seq 2000 | xargs -P2 -I{} /bin/true'));
        rows.on.push(await runBatch(daemons.on, 2000, 2, { argv: ['/bin/true'] }));
        rows.off.push(await runBatch(daemons.off, 2000, 2, { argv: ['/bin/true'] }));
      }
      const x = median(rows.xargs);
      const show = (k) => `${f(median(rows[k]))} s = ${f(x / median(rows[k]))}× xargs [${rows[k].map((v) => f(v)).join(', ')}]`;
      console.log(`2000 × /bin/true, concurrency 2 (median of ${ROUNDS} rounds [each round]):`);
      console.log(`  xargs -P2            ${f(x)} s [${rows.xargs.map((v) => f(v)).join(', ')}]`);
      console.log(`  broker, cgroups on   ${show('on')}`);
      console.log(`  broker, cgroups off  ${show('off')}`);
      console.log(`  a job's cgroup costs ${f(((median(rows.on) - median(rows.off)) / 2000) * 1e6, 0)} µs of batch time (on/off = ${f(median(rows.on) / median(rows.off))})`);
    }
    if (want('restart')) {
      const st = {};
      for (const mode of ['on', 'off']) st[mode] = { pid: await theOne(tokens[mode]), at: nowMs(), lat: [], failures: 0 };
      for (let i = 0; i < KILLS; i++) {
        for (const mode of ['on', 'off']) {
          const x = st[mode];
          await sleep(Math.max(0, SPACING - (nowMs() - x.at)));
          const before = new Set(listPids());
          const t0 = nowMs();
          process.kill(x.pid, 'SIGKILL');
          const r = waitNewPidSync(tokens[mode], before, t0, 5000);
          if (r) {
            x.lat.push(r.ms);
            x.pid = r.pid;
          } else {
            x.failures++;
            x.pid = await theOne(tokens[mode]);
          }
          x.at = nowMs();
        }
      }
      console.log(`restart after kill -9 of a worker (${KILLS} kills a daemon, in turns; SIGKILL → a new \`sleep\` in /proc, 1 ms polls):`);
      for (const mode of ['on', 'off']) {
        const l = st[mode].lat;
        console.log(`  cgroups ${mode.padEnd(3)} median ${f(median(l))} ms, p90 ${f(pct(l, 90))} ms, min ${f(Math.min(...l))} ms${st[mode].failures ? `, ${st[mode].failures} not within 5 s` : ''}`);
      }
    }
  } finally {
    for (const d of Object.values(daemons)) {
      await d.stop();
      // Its spawn helpers write the ends they reported lately as they go (they keep jobs
      // across a daemon's end): the directory goes once they are gone.
      const ends = path.join(d.dir, 'state', 'jobs', 'ends');
      while (pidsWithEnv('BL_KEEPER_OF', ends).length > 0) await sleep(20);
      d.cleanup();
    }
    console.log(`load average after: ${load()}`);
  }
}

async function theOne(t) {
  const t0 = nowMs();
  for (;;) {
    const pids = pidsOfTokens(new Set([t]));
    if (pids.length === 1) return pids[0];
    if (nowMs() - t0 > 10000) throw new Error(`expected one worker of ${t}, found ${pids.length}`);
    await sleep(5);
  }
}

await main();
