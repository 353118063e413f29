// Slurm benchmark, run by hand (as root: it starts a one-node Slurm, test/helpers/slurm.ts):
// `npm run build && node dist/bench/slurm.js [rounds] [sequential] [batch] [squeue-poll-s]`.
// bl (a bl-daemon process with broker.slurm: jobs through pilots) beside one `sbatch` a job (how
// Nextflow and Snakemake run on Slurm) on the same cluster in the same run, phases interleaved:
//   a. the first job from cold, `rounds` times: bl submits its pilot, which starts bl-launcher
//      and leases the job; sbatch starts the job itself;
//   b. `sequential` jobs one after another (each submitted when the one before has started):
//      bl with its pilot warm, against sbatch;
//   c. `batch` jobs of `sleep 0.1` submitted at once (bl: one POST /jobs; sbatch: one call a job,
//      one after another), bl's pilot started by that batch: jobs/s and submit→start.
// Both sides run 2 jobs at once on the node's 2 CPUs (a pilot of 2 CPUs and 2 slots; sbatch
// jobs of 1 CPU). A job's start and end are its own `date` marks; a submit's time is taken just
// before its HTTP request or its sbatch process. The batch's end is the last job's end mark, and
// also when the submitter saw it: bl's GET /broker every 500 ms, squeue every `squeue-poll-s`
// (1 s; Snakemake polls every 30 s, Nextflow's squeue every minute).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AllocationsJson } from '../contract/types.js';
import { startDaemon, type TestDaemon } from '../test/helpers/daemon.js';
import { startSlurm, type Slurm } from '../test/helpers/slurm.js';
import { slurmWrappers } from '../test/helpers/slurm-wrappers.js';
import { sleep } from '../test/helpers/wait.js';

const rounds = Number(process.argv[2] ?? 3);
const sequential = Number(process.argv[3] ?? 20);
const batchSize = Number(process.argv[4] ?? 200);
const squeuePollS = Number(process.argv[5] ?? 1);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
const now = () => Date.now() / 1000;

/** Each job's `date` marks: s.KEY when it started, e.KEY when it ended (seconds since the epoch). */
class Marks {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  /** The command a job runs: its start mark, `body`, its end mark. */
  command(key: string, body = 'true'): string {
    return `date +%s.%N > ${this.dir}/s.${key}; ${body}; date +%s.%N > ${this.dir}/e.${key}`;
  }
  read(kind: 's' | 'e', key: string): number | undefined {
    const f = path.join(this.dir, `${kind}.${key}`);
    if (!existsSync(f)) return undefined;
    const t = Number(readFileSync(f, 'utf8').trim());
    return Number.isFinite(t) && t > 0 ? t : undefined;
  }
  async wait(kind: 's' | 'e', key: string): Promise<number> {
    for (;;) {
      const t = this.read(kind, key);
      if (t !== undefined) return t;
      await sleep(5);
    }
  }
}

/** sbatch of one job, as a workflow manager does it: its Slurm job id. */
function sbatch(s: Slurm, m: Marks, key: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('sbatch', ['--parsable', '--job-name=bench', '--cpus-per-task=1', '--ntasks=1', '--output=/dev/null', `--chdir=${m.dir}`, '--wrap', m.command(key, body)], {
      env: { ...process.env, ...s.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(out.trim().split(';')[0]!) : reject(new Error(`sbatch: exit ${code}: ${err}`))));
  });
}

/** Jobs of `ids` squeue still lists as not done. */
function squeueLeft(s: Slurm, ids: Set<string>): number {
  const out = spawnSync('squeue', ['-h', '-u', process.env.USER ?? 'root', '-o', '%i'], { env: { ...process.env, ...s.env }, encoding: 'utf8' }).stdout;
  return out.split('\n').filter((l) => ids.has(l.trim())).length;
}

async function slurmIdle(s: Slurm): Promise<void> {
  for (;;) {
    const out = spawnSync('squeue', ['-h', '-o', '%i'], { env: { ...process.env, ...s.env }, encoding: 'utf8' }).stdout.trim();
    if (out === '') return;
    await sleep(100);
  }
}

/** bl's allocations all cancelled and gone from Slurm: the next bl phase starts cold. */
async function coolDown(d: TestDaemon, s: Slurm): Promise<void> {
  const list = (await d.api('GET', '/broker/allocations')) as AllocationsJson;
  for (const a of list.allocations.filter((x) => x.state !== 'ended')) await d.request('DELETE', `/broker/allocations/${a.id}`);
  for (;;) {
    const l = (await d.api('GET', '/broker/allocations')) as AllocationsJson;
    if (l.allocations.every((x) => x.state === 'ended')) break;
    await sleep(100);
  }
  await slurmIdle(s);
}

async function blOne(d: TestDaemon, m: Marks, key: string): Promise<number> {
  const t0 = now();
  await d.api('POST', '/jobs', { command: m.command(key), cwd: m.dir });
  return (await m.wait('s', key)) - t0;
}

async function sbatchOne(s: Slurm, m: Marks, key: string): Promise<number> {
  const t0 = now();
  await sbatch(s, m, key);
  const started = (await m.wait('s', key)) - t0;
  await m.wait('e', key);
  return started;
}

interface BatchResult {
  starts: number[];
  /** First submit → last job's end mark. */
  span: number;
  /** First submit → the submitter saw every job done. */
  seen: number;
  /** squeue calls the submitter made. */
  polls: number;
  /** The submit itself: one POST, or one sbatch after another. */
  submitting: number;
}

async function blBatch(d: TestDaemon, m: Marks, n: number): Promise<BatchResult> {
  const keys = Array.from({ length: n }, (_, i) => `bb${i}`);
  const before = (await d.api('GET', '/broker')).counts.succeeded as number;
  const t0 = now();
  await d.api('POST', '/jobs', keys.map((k) => ({ command: m.command(k, 'sleep 0.1'), cwd: m.dir })));
  const submitting = now() - t0;
  for (;;) {
    const b = await d.api('GET', '/broker');
    if (b.counts.succeeded - before + b.counts.failed >= n) break;
    await sleep(500);
  }
  const seen = now() - t0;
  const starts = await Promise.all(keys.map(async (k) => (await m.wait('s', k)) - t0));
  const ends = await Promise.all(keys.map((k) => m.wait('e', k)));
  return { starts, span: Math.max(...ends) - t0, seen, polls: 0, submitting };
}

async function sbatchBatch(s: Slurm, m: Marks, n: number): Promise<BatchResult> {
  const keys = Array.from({ length: n }, (_, i) => `sb${i}`);
  const submitted: number[] = [];
  const ids = new Set<string>();
  const t0 = now();
  for (const k of keys) {
    submitted.push(now());
    ids.add(await sbatch(s, m, k, 'sleep 0.1'));
  }
  const submitting = now() - t0;
  // Completion as the workflow managers see it: squeue, every squeuePollS.
  let polls = 1;
  while (squeueLeft(s, ids) > 0) {
    await sleep(squeuePollS * 1000);
    polls++;
  }
  const seen = now() - t0;
  const starts = await Promise.all(keys.map(async (k, i) => (await m.wait('s', k)) - submitted[i]!));
  const ends = await Promise.all(keys.map((k) => m.wait('e', k)));
  return { starts, span: Math.max(...ends) - t0, seen, polls, submitting };
}

async function main(): Promise<void> {
  const slurm = await startSlurm({ cpus: 2 });
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-bench-slurm-'));
  const w = slurmWrappers(dir);
  const m = new Marks(path.join(dir, 'marks'));
  let d: TestDaemon | undefined;
  try {
    d = await startDaemon({
      dir,
      config: {
        broker: {
          concurrency: 2,
          local_slots: 0,
          slurm: { slots_per_launcher: 2, cpus_per_launcher: 2, max_launchers: 1, poll_interval: 1, time_limit: '30:00', idle_exit: 600, env: { ...slurm.env, PATH: w.path } },
        },
      },
    });
    console.log(`Slurm ${slurm.run('sbatch', ['--version']).trim()}, one node ${slurm.node} (2 CPUs); 2 jobs at once on each side\n`);

    // a. The first job from cold.
    const cold = { bl: [] as number[], sbatch: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      await coolDown(d, slurm);
      cold.bl.push(await blOne(d, m, `c${r}`));
      await coolDown(d, slurm);
      cold.sbatch.push(await sbatchOne(slurm, m, `cs${r}`));
      console.log(`a. round ${r + 1}: first job started after ${ms(cold.bl.at(-1)!)} (bl, incl. its pilot), ${ms(cold.sbatch.at(-1)!)} (sbatch)`);
    }

    // b. One after another, bl's pilot warm (the last cold round's).
    const seq = { bl: [] as number[], sbatch: [] as number[] };
    await blOne(d, m, 'warm');
    for (let i = 0; i < sequential; i++) seq.bl.push(await blOne(d, m, `q${i}`));
    await coolDown(d, slurm);
    for (let i = 0; i < sequential; i++) seq.sbatch.push(await sbatchOne(slurm, m, `qs${i}`));
    await slurmIdle(slurm);

    // c. A batch at once; bl's pilot started by it.
    const squeueBefore = w.count('squeue', 'any');
    const bb = await blBatch(d, m, batchSize);
    const blSqueue = w.count('squeue', 'any') - squeueBefore;
    const blSbatch = w.count('sbatch', 'any');
    await coolDown(d, slurm);
    const sb = await sbatchBatch(slurm, m, batchSize);

    const row = (what: string, bl: number, sbatchS: number) => console.log(`  ${what.padEnd(34)} ${ms(bl).padStart(9)}  ${ms(sbatchS).padStart(9)}  ${(sbatchS / bl).toFixed(1).padStart(6)}×`);
    const rate = (r: BatchResult, by: 'span' | 'seen') => batchSize / r[by];
    console.log(`\n${''.padEnd(36)}       bl     sbatch  sbatch/bl`);
    console.log(`a. first job from cold (${rounds} rounds, median)`);
    row('submit → start', pct(cold.bl, 50), pct(cold.sbatch, 50));
    console.log(`b. ${sequential} jobs one after another`);
    row('submit → start p50', pct(seq.bl, 50), pct(seq.sbatch, 50));
    row('submit → start p99', pct(seq.bl, 99), pct(seq.sbatch, 99));
    console.log(`c. ${batchSize} × sleep 0.1 at once`);
    row('submit → start p50', pct(bb.starts, 50), pct(sb.starts, 50));
    row('submit → start p99', pct(bb.starts, 99), pct(sb.starts, 99));
    row('submitting all', bb.submitting, sb.submitting);
    row('first submit → last job ended', bb.span, sb.span);
    row(`first submit → all seen done`, bb.seen, sb.seen);
    console.log(`  jobs/s (by the jobs' own ends)     ${rate(bb, 'span').toFixed(1).padStart(9)}  ${rate(sb, 'span').toFixed(1).padStart(9)}  bl ${(rate(bb, 'span') / rate(sb, 'span')).toFixed(1)}×`);
    console.log(`  jobs/s (as the submitter saw them) ${rate(bb, 'seen').toFixed(1).padStart(9)}  ${rate(sb, 'seen').toFixed(1).padStart(9)}  bl ${(rate(bb, 'seen') / rate(sb, 'seen')).toFixed(1)}×`);
    console.log(`  Slurm calls for the batch: bl 1 sbatch (its pilot) + ${blSqueue} squeue (one a poll_interval, 1 s); sbatch-per-job ${batchSize} sbatch + ${sb.polls} squeue (one every ${squeuePollS} s)`);
    console.log(`  (bl's daemon made ${blSbatch} sbatch calls in the whole run: one pilot a cold start)`);
  } finally {
    await d?.stop();
    d?.cleanup();
    await slurm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
