// bl-launcher as a Slurm job on a real one-node Slurm (test/helpers/slurm.ts), submitted by hand
// with sbatch as the daemon's pilots will be: it learns its end from scontrol (Slurm 22.05 sets
// no SLURM_JOB_END_TIME), evicts its running job --end-margin before that end, before Slurm's
// own kill, and a scancel (Slurm's SIGTERM to every process of the allocation) evicts at once.
// Either way the job is re-queued at once as attempt 2 and finishes elsewhere exactly once.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { programArgv } from '../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { Marks, submit, waitJob } from '../helpers/jobs.js';
import { pidsWithEnv } from '../helpers/proc.js';
import { startSlurm, type Slurm } from '../helpers/slurm.js';
import { waitFor } from '../helpers/wait.js';
import { startLauncher, type TestLauncher } from './launcher-helpers.js';

let slurm: Slurm;
const daemons: InProcessDaemon[] = [];
const launchers: TestLauncher[] = [];
before(async () => {
  slurm = await startSlurm();
});
after(async () => {
  for (const l of launchers) l.cleanup();
  for (const d of daemons) await d.cleanup();
  // Whatever pilot is left goes with the cluster.
  try {
    slurm.run('scancel', ['--user=root']);
  } catch {
    // none left
  }
  await slurm?.stop();
});

async function daemon(): Promise<{ d: InProcessDaemon; marks: Marks }> {
  // All jobs to launchers; a long lease: a re-queue within the test came from a report.
  const d = await startInProcess({ config: { broker: { concurrency: 4, local_slots: 0, lease_ttl: 120 } } });
  daemons.push(d);
  return { d, marks: new Marks(path.join(d.dir, 'marks')) };
}

/** sbatch of a script that execs bl-launcher (named slurm-<job id>) with these flags; the job id. */
function submitPilot(d: InProcessDaemon, sbatchArgs: string[], flags: string[]): string {
  const script = path.join(d.dir, `pilot-${Math.random().toString(36).slice(2)}.sh`);
  const launcher = [process.execPath, ...programArgv('launcher/main'), d.url, '-x', '1', '--name', 'slurm-$SLURM_JOB_ID', '--state-dir', `${d.dir}/pilot-$SLURM_JOB_ID`, '--kill-grace', '500', ...flags];
  writeFileSync(script, `#!/bin/sh\nexec ${launcher.join(' ')}\n`);
  chmodSync(script, 0o755);
  return slurm.run('sbatch', ['--parsable', ...sbatchArgs, '-o', path.join(d.dir, 'pilot-%j.out'), script]).trim().split(';')[0]!;
}

const pilotOutput = (d: InProcessDaemon, id: string) => {
  try {
    return readFileSync(path.join(d.dir, `pilot-${id}.out`), 'utf8');
  } catch {
    return '(no output yet)';
  }
};

/** The Slurm job's state once it has left RUNNING (COMPLETED, CANCELLED, TIMEOUT…). */
function slurmEndState(id: string): Promise<string> {
  return waitFor(`Slurm job ${id} to end`, () => {
    const state = /JobState=(\S+)/.exec(slurm.run('scontrol', ['show', 'job', id]))?.[1];
    return state && !['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING'].includes(state) ? state : undefined;
  }, { timeout: 30_000, interval: 200 });
}

/** A job that writes `start N` / `end N` to `side` around a wait for the mark `name-N-go`. */
function counted(marks: Marks, side: string, name: string): string {
  return `echo "start $BL_JOB_ATTEMPT" >> ${side}; ${marks.made(`${name}-$BL_JOB_ATTEMPT`)}; ${marks.awaited(`${name}-$BL_JOB_ATTEMPT-go`)}; echo "end $BL_JOB_ATTEMPT" >> ${side}`;
}

async function finishesElsewhere(d: InProcessDaemon, marks: Marks, id: string, side: string, name: string): Promise<void> {
  const other = startLauncher({ url: d.url, name: `${name}-other`, stateDir: path.join(d.dir, `l-${name}-other`) });
  launchers.push(other);
  await marks.waitMade(`${name}-2`);
  marks.make(`${name}-2-go`);
  const end = await waitJob(d, id, 'to succeed', (x) => x.state === 'succeeded');
  assert.deepEqual([end.attempt, end.launcher], [2, `${name}-other`]);
  assert.equal(readFileSync(side, 'utf8'), 'start 1\nstart 2\nend 2\n', 'attempt 1 stopped before its end; attempt 2 ran once, to its end');
}

describe('bl-launcher as a Slurm job', () => {
  it('sbatch --time=1, --end-margin 45: the running job is re-queued before Slurm’s kill and finishes elsewhere once', async () => {
    const { d, marks } = await daemon();
    const side = path.join(d.dir, 'side.txt');
    const [j] = await submit(d, { command: counted(marks, side, 'limit'), cwd: d.dir, retries: 0 });
    const id = submitPilot(d, ['--time=1'], ['--end-margin', '45']);
    const pilot = `slurm-${id}`;
    await marks.waitMade('limit-1', 60_000);
    assert.equal((await waitJob(d, j!.id, 'to run', (x) => x.state === 'running')).launcher, pilot);
    // 15 s after its start (60 s limit, 45 s margin) the pilot evicts the job.
    const back = await waitJob(d, j!.id, 'to be re-queued', (x) => x.state === 'pending', 60_000, 200);
    assert.equal(back.attempt, 2);
    assert.match(back.reason ?? '', new RegExp(`^attempt 1: the Slurm allocation of launcher ${pilot} ended \\(--end-margin: its end at \\S+ is 45 s away\\)$`));
    assert.equal(await slurmEndState(id), 'COMPLETED', `the pilot left before Slurm's time limit; it said:\n${pilotOutput(d, id)}`);
    assert.match(pilotOutput(d, id), new RegExp(`the Slurm allocation of launcher ${pilot} ends at \\S+ \\(scontrol show job ${id}\\)`));
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', j!.id), [], 'attempt 1 is gone');
    await finishesElsewhere(d, marks, j!.id, side, 'limit');
  });

  it('scancel mid-job: the job is re-queued at once and finishes elsewhere exactly once', async () => {
    const { d, marks } = await daemon();
    const side = path.join(d.dir, 'side.txt');
    const [j] = await submit(d, { command: counted(marks, side, 'cancel'), cwd: d.dir, retries: 0 });
    const id = submitPilot(d, ['--time=10'], []);
    const pilot = `slurm-${id}`;
    await marks.waitMade('cancel-1', 60_000);
    assert.equal((await waitJob(d, j!.id, 'to run', (x) => x.state === 'running')).launcher, pilot);
    // Slurm sends SIGTERM to every process of the allocation: the launcher, its spawn helper and
    // the job's own processes, in an order of its own.
    slurm.run('scancel', [id]);
    const back = await waitJob(d, j!.id, 'to be re-queued', (x) => x.state === 'pending');
    assert.deepEqual([back.attempt, back.reason], [2, `attempt 1: the Slurm allocation of launcher ${pilot} ended (SIGTERM)`], pilotOutput(d, id));
    assert.equal(await slurmEndState(id), 'CANCELLED');
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', j!.id), [], 'attempt 1 is gone');
    await finishesElsewhere(d, marks, j!.id, side, 'cancel');
  });
});
