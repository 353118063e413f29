// Store benchmark, run by hand (not part of npm test): `npm run build && node dist/bench/store.js`.
// One run, both stores, the same machine and load: the embedded SQLite file (synchronous=NORMAL,
// and FULL with BL_SYNC_FULL=1) and PostgreSQL (one daemon; two daemons sharing its queue),
// each measured for batch submit, dispatch of 2000 × /bin/true beside xargs -P2 timed in the
// same rounds, and submit→start latency on an idle daemon. The PostgreSQL server is the test
// fixture's, started here with fsync on (as a production server runs) unless --pg-fsync=off.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { startDaemon, type TestDaemon } from '../test/helpers/daemon.js';
import { allJobs, waitIdle } from '../test/helpers/jobs.js';
import { startPostgres, type Postgres } from '../test/helpers/postgres.js';
import { sleep } from '../test/helpers/wait.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SUBMIT_JOBS = 10_000;
const SUBMIT_BATCH = 100;
const DISPATCH_JOBS = 2000;
const LATENCY_RUNS = Number(process.env.BENCH_LATENCY_RUNS ?? 200);
const pgFsync = !process.argv.includes('--pg-fsync=off');

const pct = (a: number[], p: number) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((a.length * p) / 100))]!;
const median = (a: number[]) => pct(a, 50);
const f = (x: number, d = 2) => x.toFixed(d);
const load = () => os.loadavg().map((x) => f(x)).join(' ');

/** One store setup: the daemons that share its queue (one, or two on PostgreSQL). */
interface Setup {
  name: string;
  daemons: TestDaemon[];
}

/**
 * Seconds a shell command takes, without blocking this process (a blocked event loop leaves
 * the daemons' keep-alive sockets stale).
 */
function timeShell(cmd: string): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    spawn('/bin/bash', ['-c', cmd], { stdio: 'ignore' })
      .on('error', reject)
      .on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t) / 1e9) : reject(new Error(`${cmd}: exit ${code}`))));
  });
}

/** The first request after a pause is an idempotent one, tried twice (a keep-alive closed under it). */
const firstCall = (d: TestDaemon, method: string, p: string) => d.api(method, p).catch(() => d.api(method, p));

/** Runs this daemon's own launcher ended since it started (its metrics are its own, not the queue's). */
const runsOf = async (d: TestDaemon): Promise<number> => {
  const text = (await d.request('GET', '/metrics')).text;
  return Number(/^bl_job_run_seconds_count\S* (\d+)/m.exec(text)?.[1] ?? NaN);
};

/**
 * Jobs/s of SUBMIT_JOBS jobs in requests of SUBMIT_BATCH, from two client streams at once
 * (with two daemons, one stream each), the queue paused so nothing runs meanwhile.
 */
async function submitRate(s: Setup): Promise<number> {
  const [a] = s.daemons;
  await firstCall(a!, 'POST', '/broker/purge');
  await a!.api('PUT', '/broker/concurrency/0');
  for (const d of s.daemons) await firstCall(d, 'GET', '/broker');
  const body = Array.from({ length: SUBMIT_BATCH }, (_, i) => ({ command: `echo ${i}`, cwd: '/tmp' }));
  const perStream = SUBMIT_JOBS / SUBMIT_BATCH / 2;
  const stream = async (d: TestDaemon) => {
    for (let i = 0; i < perStream; i++) await d.api('POST', '/jobs', body);
  };
  const t = process.hrtime.bigint();
  await Promise.all([stream(s.daemons[0]!), stream(s.daemons[s.daemons.length - 1]!)]);
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  const b = await a!.api('GET', '/broker');
  if (b.pending !== SUBMIT_JOBS) throw new Error(`${s.name}: ${b.pending} pending after submitting ${SUBMIT_JOBS}`);
  await a!.api('POST', '/broker/purge-pending');
  return SUBMIT_JOBS / secs;
}

/**
 * As bench/run-batch.ts, for one daemon or several: DISPATCH_JOBS × /bin/true submitted while
 * paused (split between the daemons), timed from the release (PUT concurrency on the first)
 * to the last job's end as the daemons recorded it. Also how many each daemon ran.
 */
async function dispatch(s: Setup, concurrency: number): Promise<{ secs: number; ran: number[] }> {
  const [a] = s.daemons;
  await firstCall(a!, 'POST', '/broker/purge');
  await a!.api('PUT', '/broker/concurrency/0');
  const share = DISPATCH_JOBS / s.daemons.length;
  for (const d of s.daemons) {
    await firstCall(d, 'GET', '/broker');
    await d.api('POST', '/jobs', Array.from({ length: share }, () => ({ command: '/bin/true', cwd: '/tmp' })));
  }
  const before = await Promise.all(s.daemons.map(runsOf));
  const t0 = Date.now();
  await a!.api('PUT', `/broker/concurrency/${concurrency}`);
  await waitIdle(a!, { timeout: 600_000, interval: 500 });
  const done = await allJobs(a!, 'completed');
  if (done.length !== DISPATCH_JOBS || done.some((j) => j.state !== 'succeeded')) {
    throw new Error(`${s.name}: expected ${DISPATCH_JOBS} succeeded, found ${JSON.stringify((await a!.api('GET', '/broker')).counts)}`);
  }
  const last = Math.max(...done.map((j) => Date.parse(j.finished_at!)));
  const after = await Promise.all(s.daemons.map(runsOf));
  return { secs: (last - t0) / 1000, ran: after.map((n, i) => n - before[i]!) };
}

/**
 * Jobs submitted one at a time to an idle queue (the previous one ended), in turn to each
 * daemon: the submit's reply time (the store's commit included) and the time from the request
 * to the job's started_at (its claim, just before the spawn). Wall clock on both sides, one host.
 */
async function latency(s: Setup): Promise<{ start: number[]; ack: number[] }> {
  const [a] = s.daemons;
  await firstCall(a!, 'POST', '/broker/purge');
  await a!.api('PUT', '/broker/concurrency/2');
  for (const d of s.daemons) await firstCall(d, 'GET', '/broker');
  const start: number[] = [];
  const ack: number[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const d = s.daemons[i % s.daemons.length]!;
    const t0 = Date.now();
    const j = await d.api('POST', '/jobs', { command: '/bin/true', cwd: '/tmp' });
    ack.push(Date.now() - t0);
    let job = j;
    while (job.state === 'pending' || job.state === 'running' || !job.started_at) {
      await sleep(5);
      job = await d.api('GET', `/jobs/${j.id}`);
    }
    start.push(Date.parse(job.started_at) - t0);
  }
  return { start, ack };
}

async function main(): Promise<void> {
  console.log(`bench: node ${process.version}, ${os.cpus().length} cpus, load average ${load()} (1, 5, 15 min) at start; ${ROUNDS} rounds`);
  const pg: Postgres = await startPostgres({ fsync: pgFsync });
  const setups: Setup[] = [];
  try {
    const show = (k: string) => pg.psql(`SHOW ${k}`).trim();
    console.log(
      `PostgreSQL ${pg.psql('SHOW server_version').trim()} (the fixture's server, socket in ${pg.dir}): fsync=${show('fsync')}, synchronous_commit=${show('synchronous_commit')}, wal_sync_method=${show('wal_sync_method')}, full_page_writes=${show('full_page_writes')}, commit_delay=${show('commit_delay')}`,
    );
    const paused = { broker: { concurrency: 0 } };
    setups.push({ name: 'SQLite NORMAL', daemons: [await startDaemon({ config: paused })] });
    setups.push({ name: 'SQLite FULL', daemons: [await startDaemon({ config: paused, env: { BL_SYNC_FULL: '1' } })] });
    const one = pg.url(pg.createDatabase('bench_one'));
    setups.push({ name: 'PostgreSQL, 1 daemon', daemons: [await startDaemon({ config: { ...paused, store: one } })] });
    const two = pg.url(pg.createDatabase('bench_two'));
    setups.push({ name: 'PostgreSQL, 2 daemons', daemons: [await startDaemon({ config: { ...paused, store: two } }), await startDaemon({ config: { ...paused, store: two } })] });
    // With the defaults the daemon whose job ends claims the next one in the same breath, and
    // at a limit of 2 in all the other rarely finds a free slot: one slot each makes them share.
    const halves = pg.url(pg.createDatabase('bench_halves'));
    const half = { broker: { concurrency: 0, local_slots: 1 }, store: halves };
    setups.push({ name: 'PostgreSQL, 2 daemons, 1 slot each', daemons: [await startDaemon({ config: half }), await startDaemon({ config: half })] });
    const fsType = (p: string) => spawnSync('df', ['--output=fstype', p], { encoding: 'utf8' }).stdout.trim().split('\n').pop() ?? '?';
    console.log(`state dirs and the PostgreSQL data dir on ${os.tmpdir()} (${fsType(os.tmpdir())}); every daemon of every setup up at once, idle when not measured`);

    // Rounds interleave the setups (and xargs), so a busy neighbour weighs on all of them alike.
    const submits = new Map<string, number[]>(setups.map((s) => [s.name, []]));
    const runs = new Map<string, { secs: number; ran: number[] }[]>(setups.map((s) => [s.name, []]));
    const xargs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of setups) submits.get(s.name)!.push(await submitRate(s));
      xargs.push(await timeShell(`seq ${DISPATCH_JOBS} | xargs -P2 -I{} /bin/true`));
      for (const s of setups) runs.get(s.name)!.push(await dispatch(s, 2));
      console.log(`  round ${r + 1}/${ROUNDS} done, load ${load()}`);
    }
    const lats = new Map<string, { start: number[]; ack: number[] }>();
    for (const s of setups) lats.set(s.name, await latency(s));

    const x = median(xargs);
    const base = median(submits.get(setups[0]!.name)!);
    const rows = setups.map((s) => {
      const sub = submits.get(s.name)!;
      const secs = runs.get(s.name)!.map((v) => v.secs);
      const l = lats.get(s.name)!;
      const d = median(secs);
      // Each round's xargs against the same round's batch: the load moves between rounds.
      const ratio = median(secs.map((v, r) => xargs[r]! / v));
      return [
        s.name,
        `${f(median(sub), 0)} (${f(median(sub) / base)}×)`,
        `${f(DISPATCH_JOBS / d, 0)} (${f(d)} s)`,
        `${f(ratio)}× [${secs.map((v, r) => f(xargs[r]! / v)).join(', ')}]`,
        `${pct(l.start, 50)} / ${pct(l.start, 99)}`,
        `${pct(l.ack, 50)} / ${pct(l.ack, 99)}`,
      ];
    });
    const head = ['store', 'submit jobs/s (vs NORMAL)', 'dispatch jobs/s (s)', 'vs xargs -P2, median [each round]', 'submit→start p50/p99 ms', 'submit reply p50/p99 ms'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    console.log();
    console.log(line(head));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
    console.log();
    console.log(`xargs -P2, ${DISPATCH_JOBS} × /bin/true: median ${f(x)} s = ${f(DISPATCH_JOBS / x, 0)} jobs/s [${xargs.map((v) => f(v)).join(', ')}]`);
    console.log(`medians of ${ROUNDS} rounds; each round (submit jobs/s; dispatch s):`);
    for (const s of setups) {
      const rr = runs.get(s.name)!;
      const split = s.daemons.length > 1 ? `; jobs run by each daemon: ${rr.map((v) => v.ran.join('+')).join(', ')}` : '';
      console.log(`  ${s.name}: [${submits.get(s.name)!.map((v) => f(v, 0)).join(', ')}]; [${rr.map((v) => f(v.secs)).join(', ')}]${split}`);
    }
    console.log(
      `submit: ${SUBMIT_JOBS} jobs in requests of ${SUBMIT_BATCH}, two client streams at once (one a daemon when two); dispatch: concurrency 2 in total; latency: ${LATENCY_RUNS} single submits to an idle queue, in turn to each daemon`,
    );
    console.log(`load average at the end ${load()}`);
  } finally {
    for (const s of setups) {
      for (const d of s.daemons) {
        await d.stop().catch(() => undefined);
        // A job's keeper may still be writing its end into the state dir as it goes.
        for (let i = 0; i < 5; i++) {
          try {
            d.cleanup();
            break;
          } catch {
            await sleep(200);
          }
        }
      }
    }
    await pg.stop();
  }
}

await main();
