#!/usr/bin/env node
// Supervisor benchmark, run by hand (not part of npm test):
//   npx tsc -p . && node bench/supervisor.mjs [--quick] [--senders=N] [--only=bl,supervisord,pm2]
// --quick: fewer kills and rounds, a pool of 200 instead of 1000 (under a minute).
// --senders=N: keep-alive sender processes for the blast (default 1).
// Measures bl-daemon beside supervisord (Debian) and pm2 (npm, installed into
// bench/.cache/pm2 on first use), in one run on this machine. The three run at once and each
// measurement goes round-robin over them (the machine is shared: a burst of load elsewhere
// then falls on all three alike); one measurement runs at a time.
//   1. restart latency after kill -9 of a worker (SIGKILL → a new `sleep` exists in /proc)
//   2. time to bring 100 and 1000 workers up on a running daemon, and down again
//   3. the daemon's PSS with 100 (and 1000) workers
//   4. bl only: stall detection latency (last keep-alive → `worker.stalled` on the PUB, − T)
//   5. bl only: keep-alives per second absorbed while GET /tasks stays responsive
// Every worker is `sleep <token>`, the token unique to the run and the program, so workers
// are found in /proc the same way whichever supervisor started them; anything left with one
// of this run's tokens is killed at the end, as are the daemons and the temp dir.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlDaemon } from './lib/bl.mjs';
import { Supervisord } from './lib/supervisord.mjs';
import { Pm2, ensurePm2 } from './lib/pm2.mjs';
import { PoolWatch, listPids, nowMs, pidsOfTokens, pssMiB, rssMiB, sleep, waitNewPidSync } from './lib/proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const QUICK = process.argv.includes('--quick');
// --only=bl,supervisord,pm2 runs a subset (for working on the bench itself).
const ONLY = (process.argv.find((a) => a.startsWith('--only='))?.slice(7) ?? 'bl,supervisord,pm2').split(',');
const SENDERS = Number(process.argv.find((a) => a.startsWith('--senders='))?.slice(10) ?? 1);

// Sizes: the full run stays under ~5 minutes, --quick under ~1.
const N_KILLS = QUICK ? 6 : 30;
const BIG_POOL = QUICK ? 200 : 1000;
const STALL_T = 1000;
const STALL_TRIALS = QUICK ? 3 : 10;
const BLAST_MS = QUICK ? 2000 : 5000;
const POOL_ROUNDS = QUICK ? 1 : 3;
const BIG_KILLS = QUICK ? 3 : 10;
const DOWN_LIMIT = QUICK ? 20000 : 60000;
// Kills are spaced past every daemon's "stayed up long enough" threshold (bl min_uptime and
// pm2 min_uptime 200 ms; supervisord startsecs 0, its only sub-second value), so no kill
// counts as a failed start and none enters a backoff: what is timed is the plain restart.
const MIN_UPTIME = 200;
const SPACING_MIN = 300;
const GAP_MIN = 100;
const GAP_JITTER = 200;

// ---------------------------------------------------------------------------------------
// Clean-up, whatever happens: daemons stopped, stray workers of this run killed, temp dir gone.
const cleanups = [];
const tokens = new Set();
const tokenBase = 900000000 + Math.floor(Math.random() * 90000) * 100;
const tok = (i) => {
  const t = String(tokenBase + i);
  tokens.add(t);
  return t;
};
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bl-bench-sup-'));
let cleaning;
const subdir = (name) => {
  const p = path.join(tmp, name);
  mkdirSync(p, { recursive: true });
  return p;
};

/** Kills what a daemon left behind: only ours, `sleep <token>` with a token of this run. */
async function sweep(which) {
  for (let i = 0; i < 3; i++) {
    const left = pidsOfTokens(which);
    if (!left.length) return;
    if (i === 0) progress(`killing ${left.length} leftover worker(s) of this run`);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(100);
  }
}

function cleanup() {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    while (cleanups.length) {
      const f = cleanups.pop();
      try {
        await f();
      } catch (e) {
        console.error(`bench: clean-up step failed: ${e.message}`);
      }
    }
    await sweep(tokens);
    rmSync(tmp, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`bench: ${sig}: cleaning up`);
    void cleanup().then(() => process.exit(130));
  });
}
// A run that hangs somewhere still ends, and still cleans up.
const watchdog = setTimeout(
  () => {
    console.error('bench: over the time limit, giving up');
    void cleanup().then(() => process.exit(3));
  },
  (QUICK ? 3 : 10) * 60000,
);

// ---------------------------------------------------------------------------------------
// Figures.
const sorted = (a) => a.slice().sort((x, y) => x - y);
const pct = (a, p) => (a.length ? sorted(a)[Math.max(0, Math.ceil((a.length * p) / 100) - 1)] : NaN);
const median = (a) => {
  if (!a.length) return NaN;
  const s = sorted(a);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => (x === undefined || Number.isNaN(x) ? '—' : x >= 100 ? `${x.toFixed(0)} ms` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`);
const mib = (x) => (x === undefined || Number.isNaN(x) ? '—' : `${x.toFixed(1)} MiB`);
const ratio = (a, b) => (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) || !b ? '—' : `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}×`);

function table(title, head, rows) {
  const all = [head, ...rows].map((r) => r.map((c) => String(c)));
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  console.log(`\n${title}`);
  all.forEach((r, k) => {
    console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('   '));
    if (k === 0) console.log('  ' + w.map((n) => '-'.repeat(n)).join('   '));
  });
}

const progress = (s) => process.stderr.write(`bench: ${s}\n`);

// A fixed sequence of pauses before kills, the same in every run: jittered so that no kill
// falls in step with a daemon's own periodic loop (supervisord polls once a second).
function spacings(n) {
  let x = 12345;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return GAP_MIN + (x % GAP_JITTER);
  });
}

// ---------------------------------------------------------------------------------------
// Measurements shared by the three supervisors.

/** The pid of the single worker of `token`, once there is exactly one (full scans). */
async function theOne(token) {
  const t0 = nowMs();
  for (;;) {
    const pids = pidsOfTokens(new Set([token]));
    if (pids.length === 1) return pids[0];
    if (nowMs() - t0 > 10000) throw new Error(`restart: expected 1 worker of ${token}, found ${pids.length}`);
    await sleep(5);
  }
}

/**
 * SIGKILL to `pid`, then the time until a new worker of `token` exists (1 ms polls, blocking:
 * nothing else in this process needs to run meanwhile). undefined after 5 s.
 */
function killAndTime(pid, token) {
  const before = new Set(listPids());
  const t0 = nowMs();
  process.kill(pid, 'SIGKILL');
  return waitNewPidSync(token, before, t0, 5000);
}

/**
 * Restart trials, round-robin over the supervisors so that a change in the machine's load
 * (it is shared) falls on all of them alike. Each daemon's worker is killed at least
 * SPACING_MIN after it appeared, past min_uptime, so no kill counts as a quick death.
 */
async function restartRounds(systems, n) {
  const st = new Map();
  for (const sys of systems) st.set(sys, { pid: await theOne(sys.restartToken), at: nowMs(), lat: [], failures: 0 });
  for (const gap of spacings(n)) {
    for (const sys of systems) {
      const x = st.get(sys);
      await sleep(Math.max(gap, SPACING_MIN - (nowMs() - x.at)));
      const r = killAndTime(x.pid, sys.restartToken);
      if (r) {
        x.lat.push(r.ms);
        x.pid = r.pid;
      } else {
        x.failures++;
        x.pid = await theOne(sys.restartToken);
      }
      x.at = nowMs();
    }
  }
  for (const sys of systems) sys.res.restart = { lat: st.get(sys).lat, failures: st.get(sys).failures };
}

/** Sends `request()` and times until `n` workers of `token` exist (the reply is timed too). */
async function timeUp(token, n, request, limitMs) {
  const w = new PoolWatch(token);
  const t0 = nowMs();
  let replyMs;
  let reqErr;
  const req = request().then(
    () => (replyMs = nowMs() - t0),
    (e) => (reqErr = e),
  );
  const r = await w.waitCount((c) => c >= n, t0, limitMs, 1);
  await Promise.race([req, sleep(limitMs)]);
  if (reqErr) throw reqErr;
  return { ms: r.ms, reached: r.n, replyMs };
}

/** Sends `request()` and times until no worker of `token` is left. */
async function timeDown(token, request, limitMs) {
  const w = new PoolWatch(token);
  const t0 = nowMs();
  let replyMs;
  let reqErr;
  const req = request().then(
    () => (replyMs = nowMs() - t0),
    (e) => (reqErr = e),
  );
  const r = await w.waitCount((c) => c === 0, t0, limitMs, 5, true);
  if (r.ms !== undefined) await Promise.race([req, sleep(limitMs)]);
  if (reqErr) throw reqErr;
  return { ms: r.ms, left: r.n, replyMs };
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}`))));
  });
}

/** PSS after a settle time: what the daemon keeps, not the transient of a burst. */
async function memoryOf(pid) {
  await sleep(1000);
  return { pss: pssMiB(pid), rss: rssMiB(pid) };
}

/**
 * Pools: rounds of 100 up and down (round-robin over the supervisors, PSS 1 s after each
 * is up), 100 with each CLI, then BIG_POOL, with kills of pool workers while it is up (a
 * restart where the daemon has a thousand processes to look through).
 */
async function poolRounds(systems) {
  for (const sys of systems) {
    sys.res.up100 = [];
    sys.res.down100 = [];
    sys.res.mem100 = [];
  }
  for (let round = 0; round < POOL_ROUNDS; round++) {
    for (const sys of systems) {
      progress(`${sys.name}: 100 workers up (round ${round + 1} of ${POOL_ROUNDS})`);
      sys.res.up100.push(await timeUp(sys.poolToken(100), 100, () => sys.up(100), 30000));
      sys.res.mem100.push(await memoryOf(sys.pid()));
      sys.res.down100.push(await timeDown(sys.poolToken(100), () => sys.down(100), 30000));
    }
  }
  for (const sys of systems) {
    progress(`${sys.name}: 100 workers up with its CLI`);
    sys.res.cli100 = await timeUp(sys.cliToken, 100, () => sys.cliUp(100), 30000);
    await timeDown(sys.cliToken, () => sys.cliDown(100), 30000);
  }
  for (const sys of systems) {
    progress(`${sys.name}: ${BIG_POOL} workers up, ${BIG_KILLS} kills among them, down`);
    const token = sys.poolToken(BIG_POOL);
    sys.res.upBig = await timeUp(token, BIG_POOL, () => sys.up(BIG_POOL), 120000);
    sys.res.memBig = await memoryOf(sys.pid());
    const lat = [];
    let failures = 0;
    for (const gap of spacings(BIG_KILLS)) {
      await sleep(gap);
      const pids = pidsOfTokens(new Set([token]));
      const r = killAndTime(pids[Math.floor(pids.length / 2)], token);
      if (r) lat.push(r.ms);
      else failures++;
      // The pool is whole again before the next kill.
      await new PoolWatch(token).waitCount((c) => c >= BIG_POOL, nowMs(), 10000, 5, true);
    }
    sys.res.restartBig = { lat, failures };
    // pm2 deletes one process at a time (over a minute for 1000 here): past DOWN_LIMIT the
    // figure is "more than", and the rest is left to the daemon's stop and the final sweep.
    sys.res.downBig = await timeDown(token, () => sys.down(BIG_POOL), DOWN_LIMIT);
  }
}

// ---------------------------------------------------------------------------------------
// The three supervisors as handles with the same verbs. Each runs `sleep <token>` programs:
// R (one worker, for restarts), a pool of 100, a CLI pool of 100, a pool of BIG_POOL.

async function makeBl() {
  const d = new BlDaemon(subdir('bl'));
  cleanups.push(() => d.stop());
  const sleepTask = (token, extra) => ({ cmd: 'sleep', args: [token], stall_timeout: 0, min_uptime: MIN_UPTIME, ...extra });
  const T = { R: tok(1), S: tok(2), ST: tok(3), KA: tok(4) };
  await d.start({
    R: sleepTask(T.R, { cardinality: 1 }),
    S: sleepTask(T.S, { cardinality: 0 }),
    ST: sleepTask(T.ST, { cardinality: 1, autostart: false, stall_timeout: STALL_T, min_uptime: 0 }),
    KA: sleepTask(T.KA, { cardinality: 10, autostart: false, stall_timeout: 30000 }),
  });
  const setCard = (n) => d.api('POST', `/tasks/S/set/cardinality/${n}`);
  return {
    name: 'bl',
    res: {},
    daemon: d,
    tokens: T,
    version: JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version,
    pid: () => d.pid,
    restartToken: T.R,
    stopRestart: () => d.api('POST', '/tasks/R/stop'),
    // One task S serves every pool size: its cardinality moves 0 → n → 0.
    poolToken: () => T.S,
    up: (n) => setCard(n),
    down: () => setCard(0),
    cliToken: T.S,
    cliUp: (n) => run('curl', ['-sf', '-o', '/dev/null', '-X', 'POST', `${d.ready.url}/tasks/S/set/cardinality/${n}`]),
    cliDown: () => setCard(0),
    stop: () => d.stop(),
  };
}

async function makeSupervisord() {
  const s = new Supervisord(subdir('supervisord'));
  cleanups.push(() => s.stop());
  const T = { R: tok(11), S100: tok(12), SBIG: tok(13), C100: tok(14) };
  // startsecs=0 everywhere: a process is RUNNING at once, so a kill is a plain exit (a kill
  // within startsecs would be a failed start, with its own backoff).
  const extra = { startsecs: 0 };
  await s.start({
    R: { token: T.R, numprocs: 1, autostart: true, extra },
    S100: { token: T.S100, numprocs: 100, autostart: false, extra },
    C100: { token: T.C100, numprocs: 100, autostart: false, extra },
    SBIG: { token: T.SBIG, numprocs: BIG_POOL, autostart: false, extra },
  });
  const group = (n) => (n === 100 ? 'S100' : 'SBIG');
  return {
    name: 'supervisord',
    res: {},
    tokens: T,
    version: execFileSync('/usr/bin/supervisord', ['--version'], { encoding: 'utf8' }).trim(),
    pid: () => s.pid,
    restartToken: T.R,
    stopRestart: () => s.call('supervisor.stopProcess', 'R', true),
    poolToken: (n) => (n === 100 ? T.S100 : T.SBIG),
    // What `supervisorctl start G:*` sends: one call for the group; wait=false returns once
    // every process is spawned, without waiting for startsecs.
    up: (n) => s.call('supervisor.startProcessGroup', group(n), false),
    down: (n) => s.call('supervisor.stopProcessGroup', group(n), false),
    cliToken: T.C100,
    cliUp: () => run('/usr/bin/supervisorctl', ['-c', s.conf, 'start', 'C100:*']),
    cliDown: () => s.call('supervisor.stopProcessGroup', 'C100', false),
    stop: () => s.stop(),
  };
}

async function makePm2(install) {
  const p = new Pm2(install, subdir('pm2'));
  cleanups.push(() => p.stop());
  const T = { R: tok(21), S100: tok(22), SBIG: tok(23), C100: tok(24) };
  await p.start();
  await p.startApp('R', T.R, 1, { min_uptime: MIN_UPTIME });
  const app = (n) => (n === 100 ? 'S100' : 'SBIG');
  return {
    name: 'pm2',
    res: {},
    tokens: T,
    version: install.version,
    pid: () => p.pid,
    restartToken: T.R,
    stopRestart: () => p.deleteApp('R'),
    poolToken: (n) => (n === 100 ? T.S100 : T.SBIG),
    // `pm2 start -i n` of a new app (fork mode: the script is not Node).
    up: (n) => p.startApp(app(n), n === 100 ? T.S100 : T.SBIG, n, { min_uptime: MIN_UPTIME }),
    down: (n) => p.deleteApp(app(n)),
    cliToken: T.C100,
    cliUp: () => p.cli(['start', 'sleep', '--name', 'C100', '-i', '100', '-o', '/dev/null', '-e', '/dev/null', '--', T.C100]),
    cliDown: () => p.deleteApp('C100'),
    stop: () => p.stop(),
  };
}

/**
 * One keep-alive, then SIGSTOP: the daemon must publish `worker.stalled` T after that
 * keep-alive. Timed from the moment the keep-alive left this process to the event's arrival
 * here (so it includes two loopback hops), and by the daemon's own clock (event time −
 * last_alive_at) as a check.
 */
async function stallSection(d, token) {
  const zmq = await import('zeromq');
  const sub = new zmq.Subscriber();
  const pub = new zmq.Publisher();
  cleanups.push(() => {
    sub.close();
    pub.close();
  });
  sub.connect(d.ready.events);
  sub.subscribe('worker.');
  pub.connect(d.ready.keepalive);
  const events = [];
  let wake;
  void (async () => {
    try {
      for await (const [topic, body] of sub) {
        events.push({ topic: topic.toString(), data: JSON.parse(body.toString()), at: nowMs() });
        wake?.();
      }
    } catch {
      // closed
    }
  })();
  const next = async (pred, limitMs) => {
    const t0 = nowMs();
    for (;;) {
      const i = events.findIndex(pred);
      if (i >= 0) return events.splice(i, 1)[0];
      if (nowMs() - t0 > limitMs) return undefined;
      await Promise.race([new Promise((r) => (wake = r)), sleep(50)]);
    }
  };
  // ZeroMQ connects in the background: give both sockets time to join before anything counts.
  await sleep(500);
  await d.api('POST', '/tasks/ST/start');
  const lat = [];
  const daemonSide = [];
  let missed = 0;
  let started = await next((e) => e.topic === 'worker.started' && e.data.task === 'ST', 5000);
  if (!started) throw new Error('stall: no worker.started event from the PUB within 5 s');
  for (let i = 0; i < STALL_TRIALS; i++) {
    const pid = started.data.pid;
    // The worker is `sleep`: the keep-alive is sent on its behalf, with its pid.
    await pub.send(['ST', JSON.stringify({ pid, taskname: 'ST' })]);
    const sentAt = nowMs();
    process.kill(pid, 'SIGSTOP');
    const ev = await next((e) => e.topic === 'worker.stalled' && e.data.pid === pid, STALL_T + 5000);
    if (!ev) {
      missed++;
    } else if (ev.data.last_alive_at == null) {
      // The daemon had not seen our keep-alive (the publisher had not joined yet): the stall
      // was timed from the start. Not a sample.
      missed++;
    } else {
      lat.push(ev.at - sentAt - STALL_T);
      daemonSide.push(Date.parse(ev.data.time) - ev.data.last_alive_at - STALL_T);
    }
    started = await next((e) => e.topic === 'worker.started' && e.data.task === 'ST' && e.data.pid !== pid, 10000);
    if (!started) throw new Error('stall: the stalled worker was not replaced within 10 s');
  }
  await d.api('POST', '/tasks/ST/stop');
  sub.close();
  pub.close();
  return { lat, daemonSide, missed };
}

/** GET /tasks latencies, one request at a time, until `until` (ms on the nowMs clock). */
async function probeHttp(d, until) {
  const lat = [];
  let errors = 0;
  while (nowMs() < until) {
    const t0 = nowMs();
    try {
      const r = await d.request('GET', '/tasks');
      if (r.status !== 200) errors++;
    } catch {
      errors++;
    }
    lat.push(nowMs() - t0);
    await sleep(5);
  }
  return { lat, errors };
}

async function blastSection(d, token) {
  await d.api('POST', '/tasks/KA/start');
  const w = new PoolWatch(token);
  const up = await w.waitCount((c) => c >= 10, nowMs(), 10000, 5);
  if (up.ms === undefined) throw new Error('blast: KA did not reach 10 workers');
  const workers = (await d.api('GET', '/tasks/KA/list')).workers.map((x) => x.pid);
  const accepted = async () => (await d.api('GET', '/healthz')).keepalives;

  const idle = await probeHttp(d, nowMs() + (QUICK ? 1000 : 2000));

  // The senders start together at a wall-clock instant, after ZeroMQ has had time to connect.
  const startAt = Date.now() + 1000;
  const senders = Array.from({ length: SENDERS }, () => {
    const p = spawn(process.execPath, [path.join(here, 'lib/ka-sender.mjs'), d.ready.keepalive, 'KA', workers.join(','), String(startAt), String(BLAST_MS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => p.exitCode === null && p.kill('SIGKILL'));
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (x) => (out += x));
    return new Promise((resolve) => p.on('exit', () => resolve(out ? JSON.parse(out).sent : 0)));
  });
  await sleep(startAt - Date.now());
  const k0 = await accepted();
  const t0 = nowMs();
  // Per-second samples of the counter, beside the latency probe.
  const samples = [];
  const sampler = (async () => {
    while (nowMs() - t0 < BLAST_MS) {
      await sleep(1000);
      samples.push({ t: nowMs() - t0, k: await accepted() });
    }
  })();
  const busy = await probeHttp(d, t0 + BLAST_MS);
  await sampler;
  const k1 = await accepted();
  const t1 = nowMs();
  const sent = (await Promise.all(senders)).reduce((a, b) => a + b, 0);
  // What was queued at the end still gets counted: wait until the counter stops moving.
  let kEnd = k1;
  const drain0 = nowMs();
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    const k = await accepted();
    if (k.received === kEnd.received) break;
    kEnd = k;
  }
  const drainMs = nowMs() - drain0;
  await d.api('POST', '/tasks/KA/stop');
  return {
    sent,
    k0,
    senders: SENDERS,
    seconds: (t1 - t0) / 1000,
    acceptedPerS: (k1.accepted - k0.accepted) / ((t1 - t0) / 1000),
    receivedTotal: kEnd.received - k0.received,
    acceptedTotal: kEnd.accepted - k0.accepted,
    droppedByDaemon: kEnd.received - k0.received - (kEnd.accepted - k0.accepted),
    drainMs,
    samples,
    idle,
    busy,
  };
}

// ---------------------------------------------------------------------------------------

function machineInfo() {
  const cpu = os.cpus()[0]?.model ?? '?';
  return `${os.availableParallelism()} cpus (nproc), ${cpu}; ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; Linux ${os.release()}; node ${process.version}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`;
}

function report(bl, sup, pm2) {
  const cols = ['', 'bl', 'supervisord', 'pm2', 'bl/supervisord', 'bl/pm2'];
  const row = (label, f, fmt) => {
    const [a, b, c] = [bl, sup, pm2].map((r) => (r ? f(r.res) : undefined));
    return [label, fmt(a), fmt(b), fmt(c), ratio(a, b), ratio(a, c)];
  };
  const text = (label, f) => [label, ...[bl, sup, pm2].map((r) => (r ? f(r.res) : '—')), '', ''];
  const msList = (a) => a.map((x) => (x.ms === undefined ? 'timeout' : x.ms.toFixed(0))).join(' / ');
  const last = (a) => a[a.length - 1];

  table(
    `1. Restart after kill -9 of a worker (${N_KILLS} kills, round-robin over the daemons, each worker killed ≥ ${SPACING_MIN} ms after it appeared; SIGKILL → new \`sleep\` in /proc, 1 ms polls)`,
    cols,
    [
      row('median', (r) => median(r.restart.lat), ms),
      row('p90', (r) => pct(r.restart.lat, 90), ms),
      row('max', (r) => Math.max(...r.restart.lat), ms),
      text('no replacement within 5 s', (r) => String(r.restart.failures)),
      row(`median with ${BIG_POOL} workers alive (${BIG_KILLS} kills in the pool)`, (r) => median(r.restartBig.lat), ms),
      row(`max with ${BIG_POOL} workers alive`, (r) => Math.max(...r.restartBig.lat), ms),
    ],
  );
  table(
    `2. Workers up on a running daemon (request → that many \`sleep\` processes exist; 100: median of ${POOL_ROUNDS} round(s), round-robin)`,
    cols,
    [
      row('100 up (HTTP / XML-RPC / pm2 API)', (r) => median(r.up100.map((x) => x.ms)), ms),
      text('   each round (ms)', (r) => msList(r.up100)),
      row('   reply to the request came after', (r) => median(r.up100.map((x) => x.replyMs)), ms),
      row('100 up with the CLI (curl / supervisorctl / pm2)', (r) => r.cli100.ms, ms),
      row(`${BIG_POOL} up (HTTP / XML-RPC / pm2 API)`, (r) => r.upBig.ms, ms),
      row('100 down (request → none left)', (r) => median(r.down100.map((x) => x.ms)), ms),
      row(`${BIG_POOL} down`, (r) => r.downBig.ms, (x) => (x === undefined ? `> ${DOWN_LIMIT / 1000} s` : ms(x))),
      row('   reply to the request came after', (r) => r.downBig.replyMs, (x) => (x === undefined ? `> ${DOWN_LIMIT / 1000} s` : ms(x))),
    ],
  );
  table(`3. Daemon memory (bl: the daemon; supervisord: its process; pm2: the God daemon), 1 s after the pool is up`, cols, [
    row('PSS, no worker', (r) => r.memIdle.pss, mib),
    row('PSS, 100 workers, first time up', (r) => r.mem100[0].pss, mib),
    ...(POOL_ROUNDS > 1
      ? [
          row(`PSS, 100 workers, after ${POOL_ROUNDS - 1} more up/down cycle(s)`, (r) => last(r.mem100).pss, mib),
          text('   each round (MiB)', (r) => r.mem100.map((m) => m.pss.toFixed(1)).join(' / ')),
        ]
      : []),
    row(`PSS, ${BIG_POOL} workers`, (r) => r.memBig.pss, mib),
    row('RSS, 100 workers (last round)', (r) => last(r.mem100).rss, mib),
  ]);

  if (!bl) return;
  const st = bl.res.stall;
  table(`4. Stall detection, bl only (stall_timeout T = ${STALL_T} ms; one keep-alive, then SIGSTOP; supervisord and pm2 have no stall detection)`, ['', 'bl', 'target'], [
    ['keep-alive sent → worker.stalled received, − T: median', ms(median(st.lat)), '≤ 100 ms'],
    ['                                               p90', ms(pct(st.lat, 90)), ''],
    ['                                               max', ms(Math.max(...st.lat)), ''],
    ["by the daemon's clock (event time − last_alive_at − T): median", ms(median(st.daemonSide)), ''],
    ['trials (missed)', `${st.lat.length} (${st.missed})`, ''],
  ]);

  const b = bl.res.blast;
  const rate = (x) => `${Math.round(x).toLocaleString('en')}/s`;
  table(`5. Keep-alive blast, bl only (${b.senders} ZeroMQ sender process(es) → 10 workers' pids, ${b.seconds.toFixed(1)} s; GET /tasks probed one at a time)`, ['', 'bl'], [
    ['sent by the sender(s)', `${b.sent.toLocaleString('en')} (${rate(b.sent / b.seconds)})`],
    ['accepted by the daemon (healthz keepalives.accepted Δ)', rate(b.acceptedPerS)],
    ['   accepted in each second', b.samples.map((x, i) => Math.round(x.k.accepted - (i ? b.samples[i - 1].k : b.k0).accepted).toLocaleString('en')).join(', ') || '—'],
    [`received in all (the queue drained ${ms(b.drainMs)} after the end)`, b.receivedTotal.toLocaleString('en')],
    ['lost before the daemon (sent − received; ZeroMQ PUB drops at its HWM)', `${(b.sent - b.receivedTotal).toLocaleString('en')} (${((100 * (b.sent - b.receivedTotal)) / Math.max(1, b.sent)).toFixed(1)}%)`],
    ['dropped by the daemon (received − accepted)', b.droppedByDaemon.toLocaleString('en')],
    ['GET /tasks idle: median / p99', `${ms(median(b.idle.lat))} / ${ms(pct(b.idle.lat, 99))} (n=${b.idle.lat.length})`],
    ['GET /tasks during the blast: median / p99 / max', `${ms(median(b.busy.lat))} / ${ms(pct(b.busy.lat, 99))} / ${ms(Math.max(...b.busy.lat))} (n=${b.busy.lat.length}, errors ${b.busy.errors})`],
  ]);

  const r = bl.res;
  const up = median(r.up100.map((x) => x.ms));
  const pss = last(r.mem100).pss;
  console.log('\nTargets');
  if (pm2) {
    const [a, c] = [median(r.restart.lat), median(pm2.res.restart.lat)];
    console.log(`  restart median no worse than pm2's: bl ${ms(a)} vs pm2 ${ms(c)} → ${a <= c ? 'met' : 'NOT met'}`);
  }
  console.log(`  100 workers up ≤ 200 ms: ${ms(up)} → ${up <= 200 ? 'met' : 'NOT met'}`);
  const pss0 = r.mem100[0].pss;
  console.log(`  PSS with 100 workers ≤ 50 MiB: first time ${mib(pss0)}, after up/down cycles ${mib(pss)} → ${pss <= 50 ? 'met' : pss0 <= 50 ? 'met only the first time' : 'NOT met'}`);
  const worst = Math.max(...st.lat);
  console.log(`  stall detected ≤ 100 ms after T: median ${ms(median(st.lat))}, max ${ms(worst)} → ${worst <= 100 ? 'met' : median(st.lat) <= 100 ? 'met by the median, not in every trial' : 'NOT met'}`);
  console.log(
    `\nSettings: every worker is \`sleep <token>\`. bl: min_uptime ${MIN_UPTIME} ms, stall_timeout 0 (stall task ${STALL_T} ms, blast task 30 s), output captured to the task log (its default). ` +
      `supervisord: autorestart=true, startsecs=0, stdout/stderr_logfile=NONE, minfds default. ` +
      `pm2: fork mode, autorestart, min_uptime ${MIN_UPTIME} ms, logs to /dev/null, own PM2_HOME. ` +
      `Versions: bl ${bl.version}, supervisord ${sup?.version ?? '—'}, pm2 ${pm2?.version ?? '—'}.`,
  );
}

async function main() {
  const started = nowMs();
  console.log(`bench/supervisor.mjs${QUICK ? ' --quick' : ''}: ${machineInfo()}`);
  const install = ONLY.includes('pm2') ? ensurePm2(path.join(here, '.cache/pm2')) : undefined;
  // All three run at once (idle, they cost next to nothing) so that each measurement can go
  // round-robin over them: the machine is shared, and a burst of load elsewhere then falls
  // on all three alike instead of on whichever happened to be measured at that moment.
  progress('starting the daemons');
  const bl = ONLY.includes('bl') ? await makeBl() : undefined;
  const sup = ONLY.includes('supervisord') ? await makeSupervisord() : undefined;
  const pm2 = install ? await makePm2(install) : undefined;
  const systems = [bl, sup, pm2].filter(Boolean);

  progress(`restart latency: ${N_KILLS} kills each`);
  await restartRounds(systems, N_KILLS);
  for (const sys of systems) await sys.stopRestart();
  await sleep(1000);
  for (const sys of systems) sys.res.memIdle = { pss: pssMiB(sys.pid()), rss: rssMiB(sys.pid()) };
  await poolRounds(systems);
  // The others leave the CPUs (and /proc, which bl scans) to bl's own sections.
  for (const sys of [sup, pm2]) {
    if (!sys) continue;
    await sys.stop();
    await sweep(new Set(Object.values(sys.tokens)));
  }
  if (bl) {
    progress(`bl: stall detection, ${STALL_TRIALS} trials`);
    bl.res.stall = await stallSection(bl.daemon, bl.tokens.ST);
    progress(`bl: keep-alive blast, ${SENDERS} sender(s), ${BLAST_MS / 1000} s`);
    bl.res.blast = await blastSection(bl.daemon, bl.tokens.KA);
    await bl.stop();
  }
  report(bl, sup, pm2);
  console.log(`\n(run took ${((nowMs() - started) / 1000).toFixed(0)} s; load at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error('bench: failed:', e);
  code = 1;
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
process.exit(code);
