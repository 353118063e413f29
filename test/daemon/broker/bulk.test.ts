// One submit of many jobs: every job completes exactly once, none lost, none run twice, all
// `succeeded` at attempt 1. The 10,000 go to a Spawner in the test that starts no process but
// records every job it is asked to start and reports a clean exit, as a spawn helper does: the
// broker's claims and ends at full size, without paying for 10,000 processes. A smaller batch
// takes the whole process path (spawn helpers, shells), each job appending its BL_JOB_ID to one
// file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { JobJson } from '../../../contract/types.js';
import type { SpawnEvents, Spawner, SpawnRequest } from '../../../runner/spawner.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { allJobs, waitIdle } from '../../helpers/jobs.js';

const RECORDED_JOBS = 10000;
const PROCESS_JOBS = 500;
const CONCURRENCY = 8;
/** Above any pid_max (at most 2^22): the usage sampler finds no process by it. */
const NO_PROCESS = 2 ** 30;

/** Starts nothing: records the job (its BL_JOB_ID) and, on a later turn, reports it spawned and exited 0. */
class RecordingSpawner implements Spawner {
  readonly started: string[] = [];
  inFlight = 0;
  mostInFlight = 0;

  spawn(req: SpawnRequest, ev: SpawnEvents): void {
    this.started.push(req.env.BL_JOB_ID!);
    this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
    setImmediate(() => {
      ev.spawned(NO_PROCESS);
      this.inFlight--;
      ev.exited(0, null, false, Date.now());
    });
  }

  close(): void {}
}

describe('broker bulk submit', () => {
  const daemons: InProcessDaemon[] = [];
  after(async () => {
    for (const d of daemons) await d.cleanup();
  });

  /** One submit; waits for the broker to be idle; returns the ids in submit order and every job as it ended. */
  async function runAll(d: InProcessDaemon, jobs: Record<string, unknown>[]): Promise<{ ids: string[]; ended: JobJson[] }> {
    const r = await d.request('POST', '/jobs', jobs, { Accept: 'application/json' });
    assert.equal(r.status, 201);
    const ids: string[] = r.json.jobs.map((j: { id: string }) => j.id);
    assert.equal(new Set(ids).size, jobs.length, 'a job each');
    await waitIdle(d, { timeout: 120000, interval: 100 });
    const b = await d.api('GET', '/broker');
    assert.deepEqual(Object.entries(b.counts).filter(([, n]) => n !== 0), [['succeeded', jobs.length]], 'every job succeeded, no other state');
    const ended = await allJobs(d, 'completed');
    assert.equal(ended.length, jobs.length);
    for (const j of ended) assert.deepEqual([j.state, j.attempt, j.exit_code], ['succeeded', 1, 0], j.id);
    return { ids, ended };
  }

  it(`starts each of ${RECORDED_JOBS} jobs of one submit exactly once, ${CONCURRENCY} at a time`, async () => {
    const spawner = new RecordingSpawner();
    const d = await startInProcess({ config: { broker: { concurrency: CONCURRENCY } }, spawner });
    daemons.push(d);
    const { ids } = await runAll(d, Array.from({ length: RECORDED_JOBS }, (_, i) => ({ command: `echo ${i}`, cwd: '/' })));
    assert.equal(spawner.started.length, RECORDED_JOBS, 'one start per job');
    assert.deepEqual([...spawner.started].sort(), [...ids].sort(), 'every job started, none twice');
    assert.equal(spawner.mostInFlight, CONCURRENCY, 'the limit was filled and never passed');
  });

  it(`runs each of ${PROCESS_JOBS} shell jobs of one submit exactly once`, async () => {
    const d = await startInProcess({ config: { broker: { concurrency: CONCURRENCY } } });
    daemons.push(d);
    const out = path.join(d.dir, 'ran');
    // Appends under O_APPEND are atomic for a line this short: one line per run.
    const { ids } = await runAll(d, Array.from({ length: PROCESS_JOBS }, () => ({ command: `echo $BL_JOB_ID >> ${out}`, cwd: d.dir })));
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, PROCESS_JOBS, 'one run per job');
    assert.deepEqual([...lines].sort(), [...ids].sort(), 'every job ran, none twice');
  });
});
