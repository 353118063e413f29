// GET /jobs newest first (order=desc) and paged the same way; what curl users read: the list's
// header line, empty lists named sensibly, /broker's figures once each, values in messages
// shown as they were typed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { submit } from '../../helpers/jobs.js';

describe('job lists and texts', () => {
  let d: InProcessDaemon;
  let ids: string[];
  // Paused: what is submitted stays pending.
  before(async () => {
    d = await startInProcess({ config: { broker: { concurrency: 0 } } });
    ids = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(d, { command: `echo ${i}`, cwd: '/' }))[0]!.id);
  });
  after(() => d.cleanup());

  it('lists newest first with order=desc, paging with next the same way', async () => {
    for (const state of ['all', 'pending']) {
      const seen: string[] = [];
      let next: string | null = null;
      do {
        const page = await d.api('GET', `/jobs?state=${state}&order=desc&limit=2${next ? `&after=${next}` : ''}`);
        assert.ok(page.jobs.length <= 2);
        seen.push(...page.jobs.map((j: { id: string }) => j.id));
        next = page.next;
      } while (next);
      assert.deepEqual(seen, [...ids].reverse(), state);
    }
    const oldest = await d.api('GET', '/jobs?limit=2');
    assert.deepEqual(oldest.jobs.map((j: { id: string }) => j.id), ids.slice(0, 2), 'without `order`, oldest first as before');
    const bad = await d.request('GET', '/jobs?order=newest');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /^ERROR: expected `order` to be asc .* or desc \(newest first\), found "newest"\n$/);
  });

  it('names the columns of the text list, and says what an empty list is', async () => {
    const text = (await d.request('GET', '/jobs?order=desc&limit=2')).text.split('\n');
    assert.equal(text[0], 'ID\tSTATE\tQUEUE\tTRY\tEXIT\tSUBMITTED\tCOMMAND');
    assert.match(text[1]!, new RegExp(`^${ids[4]}\\tpending\\tnormal\\t1\\t-\\t\\d{4}-\\d\\d-\\d\\dT\\S+Z\\techo 4$`));
    assert.equal(text[3], `(more: after=${ids[3]})`);
    assert.equal((await d.request('GET', '/jobs?state=errors')).text, 'no jobs ended in error\n');
    assert.equal((await d.request('GET', '/jobs?state=timed_out')).text, 'no timed out jobs\n');
    assert.equal((await d.request('GET', '/jobs?state=running')).text, 'no running jobs\n');
  });

  it('shows each figure of GET /broker once', async () => {
    const text = (await d.request('GET', '/broker')).text;
    assert.match(text, /^Running:\t0$/m);
    assert.match(text, /^Pending:\t5$/m);
    assert.match(text, /^Jobs succeeded:\t0$/m);
    assert.doesNotMatch(text, /^Jobs (running|pending):/m);
    const labels = text.trim().split('\n').map((l) => l.split(':\t')[0]);
    assert.deepEqual(labels, [...new Set(labels)], 'no label twice');
  });

  it('shows a number from the URL as it was typed', async () => {
    const conc = await d.request('PUT', '/broker/concurrency/-1');
    assert.deepEqual([conc.status, conc.text], [400, 'ERROR: expected `concurrency` to be an integer ≥ 0, found -1\n']);
    const word = await d.request('PUT', '/broker/concurrency/two');
    assert.equal(word.text, 'ERROR: expected `concurrency` to be an integer ≥ 0, found "two"\n');
    const tail = await d.request('GET', `/jobs/${ids[0]}/log?tail=-3`);
    assert.deepEqual([tail.status, tail.text], [400, 'ERROR: expected `tail` to be a non-negative integer, found -3\n']);
    const limit = await d.request('GET', '/jobs?limit=0');
    assert.equal(limit.text, 'ERROR: expected `limit` to be an integer ≥ 1, found 0\n');
    assert.equal((await d.request('POST', '/jobs?urgent=2', 'echo x')).text, 'ERROR: expected `urgent` to be 1 or 0, found 2\n');
    assert.equal((await d.request('GET', '/jobs?state=done')).text.endsWith(', found "done"\n'), true);
  });
});
