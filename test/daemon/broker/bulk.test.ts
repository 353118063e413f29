// Must show 4: 10,000 jobs in one submit all complete, none lost, none run twice.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { allJobs, waitIdle } from '../../helpers/jobs.js';

const N = 10000;

describe('broker bulk submit', () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await startDaemon({ config: { broker: { concurrency: 8 } } });
    work = mkdtempSync(path.join(tmpdir(), 'bl-bulk-'));
  });
  after(async () => {
    await d.stop();
    d.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it(`runs each of ${N} jobs of one submit exactly once`, async () => {
    const out = path.join(work, 'ran');
    // Appends under O_APPEND are atomic for a line this short: one line per run.
    const jobs = Array.from({ length: N }, () => ({ command: `echo $BL_JOB_ID >> ${out}`, cwd: work }));
    const r = await d.request('POST', '/jobs', jobs, { Accept: 'application/json' });
    assert.equal(r.status, 201);
    const ids: string[] = r.json.jobs.map((j: { id: string }) => j.id);
    assert.equal(new Set(ids).size, N);
    await waitIdle(d, { timeout: 120000, interval: 250 });
    const b = await d.api('GET', '/broker');
    assert.equal(b.counts.succeeded, N, JSON.stringify(b.counts));
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, N, 'one run per job');
    assert.deepEqual([...new Set(lines)].sort(), [...ids].sort(), 'every job ran, none twice');
    const completed = await allJobs(d, 'completed');
    assert.equal(completed.length, N);
    assert.ok(completed.every((j) => j.attempt === 1 && j.exit_code === 0));
  });
});
