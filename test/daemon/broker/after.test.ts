// Jobs submitted with `after`: they wait (not counted against the limit) until what they name
// has succeeded, are cancelled naming the job that ended otherwise (unless after_any), wait on
// whole sweeps and sweeps on them; names that match nothing refuse the submit. Through the
// routes of an in-process daemon with real jobs. What survives kill -9 is after-crash.test.ts's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { Marks, submit, waitState } from '../../helpers/jobs.js';

describe('jobs after jobs', () => {
  let d: InProcessDaemon;
  let marks: Marks;
  before(async () => {
    d = await startInProcess({ config: { broker: { concurrency: 1 } } });
    marks = new Marks(path.join(d.dir, 'marks'));
  });
  after(() => d.cleanup());

  it('a chain waits outside the limit and runs in order; the waiting are listed and counted', async () => {
    const out = path.join(d.dir, 'chain.out');
    const [a] = await submit(d, { command: `echo A >> ${out}; ${marks.awaited('a-go')}`, cwd: '/', key: 'chain-a' });
    const r = await d.request('POST', '/jobs', { command: `echo B >> ${out}`, cwd: '/', after: 'chain-a' });
    assert.equal(r.status, 201);
    const b = /^Submitted job (\w+) \(waiting on (\w+)\)$/.exec(r.text.trim());
    assert.ok(b, r.text);
    assert.equal(b[2], a!.id, 'the key named job A');
    const [c] = await submit(d, { command: `echo C >> ${out}`, cwd: '/', after: [b[1]!.slice(-8)] });
    assert.deepEqual([c!.state, c!.after], ['waiting', [b[1]]], 'a short id names the job too');
    await waitState(d, a!.id, 'running');
    const st = await d.api('GET', '/broker');
    assert.deepEqual([st.running, st.pending, st.waiting, st.counts.waiting], [1, 0, 2, 2]);
    assert.match((await d.request('GET', '/broker')).text, /^Waiting:\t2$/m);
    assert.deepEqual((await d.api('GET', '/jobs?state=waiting')).jobs.map((j: { id: string }) => j.id), [b[1], c!.id]);
    marks.make('a-go');
    await waitState(d, c!.id, 'succeeded');
    assert.equal(readFileSync(out, 'utf8'), 'A\nB\nC\n');
    const released = d.services.events.since(0).filter((e) => e.topic === 'job.released').map((e) => e.data.id);
    assert.deepEqual(released, [b[1], c!.id]);
  });

  it('one that ends otherwise cancels its waiters, naming it; after_any releases them', async () => {
    const [a] = await submit(d, { command: 'exit 3', cwd: '/' });
    const [b, any] = await submit(d, [
      { command: 'echo never', cwd: '/', after: [a!.id] },
      { command: 'echo anyway', cwd: '/', after: [a!.id], after_any: true },
    ]);
    const [c] = await submit(d, { command: 'echo never', cwd: '/', after: [b!.id] });
    const bj = await waitState(d, b!.id, 'cancelled');
    assert.equal(bj.reason, `waited on job ${a!.id}, which ended failed`);
    assert.equal((await waitState(d, c!.id, 'cancelled')).reason, `waited on job ${b!.id}, which ended cancelled`);
    assert.equal((await waitState(d, any!.id, 'succeeded')).after_any, true);
    const late = await d.request('POST', '/jobs', { command: 'echo never', cwd: '/', after: [a!.id] });
    assert.equal(late.text, `Submitted job ${/\w{26}/.exec(late.text)![0]}, cancelled at once: waited on job ${a!.id}, which ended failed\n`);
  });

  it('a sweep waits on a job, and a job on the whole sweep by its id', async () => {
    const [gate] = await submit(d, { command: marks.awaited('sweep-go'), cwd: '/' });
    const r = await d.api('POST', '/jobs', { command: 'echo {n}', params: { n: [1, 2, 3] }, cwd: d.dir, after: [gate!.id] });
    assert.match(r.sweep, /^sweep-\w{26}$/);
    assert.deepEqual(r.jobs.map((j: { state: string; sweep: string }) => [j.state, j.sweep]), Array(3).fill(['waiting', r.sweep]));
    const [last] = await submit(d, { command: 'echo after-sweep', cwd: '/', after: r.sweep });
    const text = await d.request('POST', '/jobs', { command: 'echo {n}', params: { n: [4] }, cwd: d.dir, after: [gate!.id] });
    assert.match(text.text, /^Sweep sweep-\w{26} \(wait on all of it with "after": "sweep-\w{26}"\)$/m);
    marks.make('sweep-go');
    const done = await waitState(d, last!.id, 'succeeded');
    for (const j of r.jobs) {
      const s = await waitState(d, j.id, 'succeeded');
      assert.ok(s.finished_at! <= done.started_at!, 'every combination ended before the job after the sweep began');
    }
  });

  it('refuses names that match nothing, with a 400 naming them, and bad values; a text submit takes ?after=', async () => {
    const bad = await d.request('POST', '/jobs', { command: 'true', cwd: '/', after: ['no-such-key', 'sweep-01NOPE'] });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /no job, key or sweep named no-such-key, sweep-01NOPE; nothing was submitted/);
    for (const v of [[], [''], 5, [1]]) assert.equal((await d.request('POST', '/jobs', { command: 'true', cwd: '/', after: v })).status, 400, JSON.stringify(v));
    const anyAlone = await d.request('POST', '/jobs', { command: 'true', cwd: '/', after_any: true });
    assert.match(anyAlone.text, /`after_any` applies to a job with `after`/);
    assert.equal((await d.request('POST', '/jobs', [{ command: 'true', cwd: '/' }, { command: 'true', cwd: '/', after: 'nope' }])).status, 400);
    assert.equal((await d.api('GET', '/jobs?state=waiting')).jobs.length, 0, 'nothing of a refused submit was stored');

    const [hold] = await submit(d, { command: marks.awaited('text-go'), cwd: '/' });
    const t = await d.request('POST', `/jobs?cwd=/&after=${hold!.id},${hold!.id}&after_any=1`, 'echo text');
    const id = /^Submitted job (\w+)/.exec(t.text)![1]!;
    const tj = await d.api('GET', `/jobs/${id}`);
    assert.deepEqual([tj.state, tj.after, tj.after_any], ['waiting', [hold!.id], true], 'a name given twice is one dependency');
    assert.equal((await d.request('DELETE', `/jobs/${id}`)).text, `Cancelled job ${id}\n`);
    assert.equal((await d.api('GET', `/jobs/${id}`)).reason, 'cancelled while waiting');
    assert.equal((await d.request('POST', `/jobs/${hold!.id}/retry`)).status, 409);
    marks.make('text-go');
    await waitState(d, hold!.id, 'succeeded');
  });
});
