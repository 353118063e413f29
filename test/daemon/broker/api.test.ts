// The broker routes' contract: text and JSON replies, idempotency keys, cancel and retry
// conflicts, concurrency verbs, and every bad input answered with a status and a message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { submit, waitState } from '../../helpers/jobs.js';

describe('broker routes', () => {
  let d: InProcessDaemon;
  before(async () => {
    d = await startInProcess({ config: { broker: { concurrency: 1 }, allowed_commands: ['echo', 'true', 'sleep'] } });
  });
  after(() => d.cleanup());

  it('takes a text body as the command, with ?urgent=1&cwd=', async () => {
    const r = await d.request('POST', '/jobs?urgent=1&cwd=/tmp', 'echo hi');
    assert.equal(r.status, 201);
    const id = /^Submitted job (\w+)\n$/.exec(r.text)?.[1];
    assert.ok(id, r.text);
    const j = await d.api('GET', `/jobs/${id}`);
    // allowed_commands: the job runs the echo the daemon's PATH finds, by its path.
    assert.match(j.command, /^\/\S+\/echo hi$/);
    assert.deepEqual([j.cwd, j.queue], ['/tmp', 'urgent']);
  });

  it('takes JSON sent without a JSON content type (curl -d) as jobs, and shell groups as commands', async () => {
    const r = await d.request('POST', '/jobs', JSON.stringify({ command: 'echo from-form', cwd: '/' }), { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 201);
    const id = /^Submitted job (\w+)$/m.exec(r.text)![1]!;
    assert.match((await d.api('GET', `/jobs/${id}`)).command, /\/echo from-form$/);
    const g = await d.request('POST', '/jobs?cwd=/', '{ echo grouped; }', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(g.status, 403, 'taken as a command (and refused: a group is no plain command)');
  });

  it('returns the first job for a repeated key', async () => {
    const [a] = await submit(d, { command: 'echo once', cwd: '/', key: 'k-1' });
    const again = await d.request('POST', '/jobs', { command: 'echo twice', cwd: '/', key: 'k-1' });
    assert.equal(again.status, 201);
    assert.equal(again.text, `Job ${a!.id} already submitted (key k-1)\n`);
    assert.match((await submit(d, { command: 'echo twice', cwd: '/', key: 'k-1' }))[0]!.command!, /\/echo once$/);
  });

  it('changes and reports the limit and the bypass', async () => {
    assert.equal((await d.api('POST', '/broker/concurrency/increase')).concurrency, 2);
    assert.equal((await d.api('POST', '/broker/concurrency/decrease')).concurrency, 1);
    assert.equal((await d.request('PUT', '/broker/concurrency/3')).text, 'Concurrency:\t3\n');
    assert.equal((await d.api('POST', '/broker/concurrency/1')).concurrency, 1);
    assert.equal((await d.request('PUT', '/broker/concurrency/-1')).status, 400);
    const text = (await d.request('GET', '/broker')).text;
    assert.match(text, /^Concurrency:\t1$/m);
    assert.match(text, /^Urgent concurrent:\tdisabled$/m);
    assert.equal((await d.request('GET', '/broker/concurrency/increase')).status, 405);
    assert.equal((await d.api('POST', '/broker/exit-workers')).exit_workers, true);
  });

  it('cancels pending and running jobs, refuses to cancel an ended one, retries only ended ones', async () => {
    const [run] = await submit(d, { command: 'sleep 30', cwd: '/' });
    await waitState(d, run!.id, 'running');
    const [wait] = await submit(d, { command: 'echo later', cwd: '/' });
    assert.equal((await d.request('POST', `/jobs/${wait!.id}/retry`)).status, 409);
    const c = await d.request('DELETE', `/jobs/${wait!.id}`);
    assert.deepEqual([c.status, c.text], [200, `Cancelled job ${wait!.id}\n`]);
    assert.equal((await d.request('DELETE', `/jobs/${wait!.id}`)).status, 409);
    await d.api('DELETE', `/jobs/${run!.id}`);
    await waitState(d, run!.id, 'cancelled');
    const r = await d.api('POST', `/jobs/${wait!.id}/retry`);
    assert.equal(r.state, 'pending');
    assert.equal((await waitState(d, wait!.id, 'succeeded')).attempt, 2);
  });

  it('pages with limit and after, in text and JSON', async () => {
    const jobs = await submit(d, [1, 2, 3].map((i) => ({ command: `echo ${i}`, cwd: '/' })));
    for (const j of jobs) await waitState(d, j.id, 'succeeded');
    const p1 = await d.api('GET', '/jobs?state=completed&limit=2');
    assert.equal(p1.jobs.length, 2);
    assert.ok(p1.next);
    const text = (await d.request('GET', '/jobs?state=completed&limit=2')).text;
    assert.match(text, new RegExp(`\\(more: after=${p1.next}\\)\\n$`));
    const rest = await d.api('GET', `/jobs?state=completed&limit=1000&after=${p1.next}`);
    assert.equal(rest.next, null);
    assert.ok(rest.jobs.every((j: { id: string }) => j.id > p1.next));
  });

  it('answers bad input with 400/403/404/413 and a message saying what was expected', async () => {
    const json = { 'Content-Type': 'application/json' };
    const cases: [string, string, string | object, Record<string, string>, number, RegExp][] = [
      ['POST', '/jobs', '{"command": ', json, 400, /invalid JSON/],
      ['POST', '/jobs', '', {}, 400, /found an empty body/],
      ['POST', '/jobs', { cwd: '/' }, {}, 400, /`command` to be a non-empty string/],
      ['POST', '/jobs', { command: 'true', cwd: '/', queue: 'later' }, {}, 400, /`queue` to be "normal" or "urgent", found "later"/],
      ['POST', '/jobs', { command: 'true', cwd: '/', timeout: -5 }, {}, 400, /`timeout` to be a number of seconds ≥ 0.*found -5/],
      ['POST', '/jobs', { command: 'true', cwd: '/no/such/dir' }, {}, 400, /existing directory, found "\/no\/such\/dir"/],
      ['POST', '/jobs', [{ command: 'true', cwd: '/' }, { command: 'true', cwd: '/', retires: 1 }], {}, 400, /job 1: unknown field `retires`, did you mean `retries`/],
      ['POST', '/jobs', { command: 'rm -rf /', cwd: '/' }, {}, 403, /allowed_commands/],
      ['GET', '/jobs?state=done', '', {}, 400, /`state` to be one of .*found "done"/],
      ['GET', '/jobs?limit=0', '', {}, 400, /`limit` to be an integer ≥ 1/],
      ['GET', '/jobs/01NOSUCHJOB', '', {}, 404, /no job "01NOSUCHJOB"/],
      ['GET', '/jobs/01NOSUCHJOB/log', '', {}, 404, /no job/],
      ['POST', '/jobs', 'x'.repeat(4 * 1024 * 1024 + 1), {}, 413, /over the limit/],
    ];
    for (const [method, p, body, headers, status, msg] of cases) {
      const r = await d.request(method, p, body === '' && method === 'GET' ? undefined : body, headers);
      assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
      assert.match(r.text, /^ERROR: /);
      assert.match(r.text, msg);
    }
    const j = await d.request('GET', '/jobs?state=done', undefined, { Accept: 'application/json' });
    assert.equal(j.json.error.code, 'bad_value');
    assert.equal((await d.api('GET', '/broker')).counts.failed, 0, 'nothing bad was queued');
  });
});
