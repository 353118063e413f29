// Each purge variant removes exactly what it names, logs included; running jobs are untouched.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { waitFor } from '../../helpers/wait.js';
import { allJobs, submit, waitState } from '../../helpers/jobs.js';

describe('broker purges', () => {
  let d: InProcessDaemon;
  before(async () => {
    d = await startInProcess({ config: { broker: { concurrency: 1 } } });
  });
  after(() => d.cleanup());

  const ids = async (state: string) => (await allJobs(d, state)).map((j) => j.id).sort();
  const logOf = (id: string) => path.join(d.config.stateDir, 'jobs', `${id}.log`);

  it('purge-completed, purge-pending and purge each take only their own', async () => {
    const [ok, bad] = await submit(d, [{ command: 'echo ok', cwd: '/' }, { command: 'exit 4', cwd: '/' }]);
    await waitState(d, ok!.id, 'succeeded');
    await waitState(d, bad!.id, 'failed');
    assert.ok(existsSync(logOf(ok!.id)));
    const [run] = await submit(d, { command: 'exec sleep 30', cwd: '/' });
    await waitState(d, run!.id, 'running');
    const pend = await submit(d, [1, 2, 3].map((i) => ({ command: `echo ${i}`, cwd: '/', queue: i === 2 ? 'urgent' : 'normal' })));

    let r = await d.api('POST', '/broker/purge-completed');
    assert.equal(r.removed, 2);
    assert.deepEqual(await ids('completed'), []);
    assert.deepEqual(await ids('pending'), pend.map((j) => j.id).sort());
    assert.deepEqual(await ids('running'), [run!.id]);
    assert.equal((await d.request('GET', `/jobs/${ok!.id}`)).status, 404);
    await waitFor('the purged job’s log to go', () => !existsSync(logOf(ok!.id)));

    // A cancelled job is a completed one: it must survive purge-pending.
    const cancelled = (await d.api('DELETE', `/jobs/${pend[0]!.id}`)).id;
    r = await d.api('POST', '/broker/purge-pending');
    assert.equal(r.removed, 2);
    assert.deepEqual(await ids('pending'), []);
    assert.deepEqual(await ids('completed'), [cancelled]);
    assert.deepEqual(await ids('running'), [run!.id]);

    const more = await submit(d, [{ command: 'true', cwd: '/' }, { command: 'true', cwd: '/', queue: 'urgent' }]);
    assert.equal(more.length, 2);
    const text = await d.request('POST', '/broker/purge');
    assert.equal(text.text, 'Purged 3 jobs\n');
    assert.deepEqual(await ids('all'), [run!.id]);
    const b = await d.api('GET', '/broker');
    assert.equal(b.pending, 0);
    assert.equal(b.running, 1);
    assert.equal((await d.api('GET', `/jobs/${run!.id}`)).state, 'running');
    await d.api('DELETE', `/jobs/${run!.id}`);
    await waitState(d, run!.id, 'cancelled');
  });
});
