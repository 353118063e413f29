// A job writing 51 MB, run by hand (not part of npm test): `npx tsc -p . && node dist/bench/job-log.js`.
// The same `seq` written straight to a file by this shell is the baseline, beside the job
// writing its log itself (the default), and the job's output copied by its spawn helper:
// rotated at 1 MiB with 3 kept, and rotated with each line stamped. A job's time is its
// started_at to its finished_at as the daemon recorded them. BL_SPAWNER=node times the Node helper.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDaemon } from '../test/helpers/daemon.js';
import { submit, waitState } from '../test/helpers/jobs.js';

const N = 3_200_000;
const SEQ = `seq -f %015.0f 1 ${N}`;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const f = (x: number) => x.toFixed(2);

function timeShell(cmd: string): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    spawn('/bin/sh', ['-c', cmd], { stdio: 'ignore' })
      .on('error', reject)
      .on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t) / 1e9) : reject(new Error(`${cmd}: exit ${code}`))));
  });
}

async function main(): Promise<void> {
  const env: Record<string, string> = process.env.BL_SPAWNER ? { BL_SPAWNER: process.env.BL_SPAWNER } : {};
  const d = await startDaemon({ config: { broker: { concurrency: 1 } }, env });
  const work = mkdtempSync(path.join(tmpdir(), 'bl-bench-joblog-'));
  const kinds: [string, Record<string, unknown>][] = [
    ['written by the job (default)', {}],
    ['copied, rotated at 1 MiB, 3 kept', { log_max_bytes: 1 << 20, log_keep: 3 }],
    ['copied, rotated and timestamped', { log_max_bytes: 1 << 20, log_keep: 3, log_timestamps: true }],
  ];
  const rows: Record<string, number[]> = { baseline: [] };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      rows.baseline!.push(await timeShell(`${SEQ} > ${path.join(work, 'seq.out')}`));
      for (const [name, fields] of kinds) {
        const [j] = await submit(d, { command: SEQ, cwd: '/', ...fields });
        const end = await waitState(d, j!.id, ['succeeded', 'failed'], 600_000);
        if (end.state !== 'succeeded') throw new Error(`${name}: ${end.state}`);
        (rows[name] ??= []).push((Date.parse(end.finished_at!) - Date.parse(end.started_at!)) / 1000);
      }
      await d.api('POST', '/broker/purge');
    }
    const base = median(rows.baseline!);
    console.log(`${N} lines of 16 bytes (51 MB), spawner ${process.env.BL_SPAWNER ?? 'default'} (median of ${ROUNDS} rounds [each]):`);
    console.log(`  seq > file in a shell ${f(base)} s [${rows.baseline!.map(f).join(', ')}]`);
    for (const [name] of kinds) console.log(`  job, ${name}: ${f(median(rows[name]!))} s = ${f(median(rows[name]!) / base)}× [${rows[name]!.map(f).join(', ')}]`);
  } finally {
    await d.stop();
    d.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
