// A job as people name it: every route that takes a job id takes the full id, any prefix of it
// that names one job (in any case) and the 8-character short id the dashboard shows; a
// reference that names several is a 409 listing them, one that names none a 404.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { submit } from '../../helpers/jobs.js';

const commonPrefix = (ids: string[]) => {
  let n = 0;
  while (ids.every((id) => id[n] === ids[0]![n])) n++;
  return ids[0]!.slice(0, n);
};

describe('job references', () => {
  let d: InProcessDaemon;
  // Paused: the jobs stay pending, so their states in the messages are known.
  before(async () => {
    d = await startInProcess({ config: { broker: { concurrency: 0 } } });
  });
  after(() => d.cleanup());

  it('takes a prefix in any case and the short id on every job route', async () => {
    const [j] = await submit(d, { command: 'echo one', cwd: '/' });
    const id = j!.id;
    const prefix = id.slice(0, 16).toLowerCase();
    const short = id.slice(-8);
    assert.equal((await d.api('GET', `/jobs/${prefix}`)).id, id);
    assert.match((await d.request('GET', `/jobs/${short}`)).text, new RegExp(`^Job:\\t${id}\\n`));
    const log = await d.request('GET', `/jobs/${short.toLowerCase()}/log`);
    assert.deepEqual([log.status, log.text], [200, ''], 'pending: an empty log');
    assert.equal((await d.request('GET', `/jobs/${prefix}/notes`)).text, `no notes on job ${id}\n`);
    const cancel = await d.request('DELETE', `/jobs/${short.toLowerCase()}`);
    assert.deepEqual([cancel.status, cancel.text], [200, `Cancelled job ${id}\n`]);
    const retry = await d.request('POST', `/jobs/${prefix}/retry`);
    assert.deepEqual([retry.status, retry.text], [200, `Re-queued job ${id} (attempt 2)\n`]);
    assert.equal((await d.api('GET', `/jobs/${id}`)).state, 'pending', 'the full id, as before');
  });

  it('refuses a reference several jobs share with 409, listing a few newest first and counting the rest', async () => {
    const jobs = await submit(d, Array.from({ length: 7 }, (_, i) => ({ command: `echo n${i}`, cwd: '/' })));
    const ids = jobs.map((j) => j.id);
    const ref = commonPrefix(ids).toLowerCase();
    const listed = [...jobs]
      .reverse()
      .slice(0, 5)
      .map((j) => `${j.id} (pending, ${j.command})`)
      .join(', ');
    const r = await d.request('GET', `/jobs/${ref}`);
    assert.equal(r.status, 409);
    assert.equal(r.text, `ERROR: expected one job for "${ref}", found 7: ${listed}, and 2 more; give more characters of the id\n`);
    const json = await d.request('DELETE', `/jobs/${ref}`, undefined, { Accept: 'application/json' });
    assert.equal(json.status, 409);
    assert.equal(json.json.error.code, 'ambiguous_job');
    for (const p of [`/jobs/${ref}/log`, `/jobs/${ref}/notes`]) assert.equal((await d.request('GET', p)).status, 409, p);
    assert.equal((await d.request('POST', `/jobs/${ref}/retry`)).status, 409);
    assert.equal((await d.api('GET', '/broker')).counts.cancelled, 0, 'nothing was cancelled');
  });

  it('answers a reference that names no job with 404 and the reference as typed', async () => {
    const r = await d.request('GET', '/jobs/0X1');
    assert.deepEqual([r.status, r.text], [404, 'ERROR: no job "0X1"\n']);
    for (const [method, p] of [['GET', '/jobs/0X1/log'], ['GET', '/jobs/0X1/notes'], ['DELETE', '/jobs/0X1'], ['POST', '/jobs/0X1/retry']] as const) {
      const x = await d.request(method, p);
      assert.deepEqual([x.status, x.text], [404, 'ERROR: no job "0X1"\n'], `${method} ${p}`);
    }
  });
});
