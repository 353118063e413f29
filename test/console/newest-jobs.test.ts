// The newest jobs from a daemon that pages oldest-first: the right jobs, newest first, in a
// few requests, whatever the spread of submit times (steady, one burst, clocks apart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeTime } from 'ulid';
import { MAX_PROBES, newestJobs, type FetchPage } from '../../console/newest-jobs.js';
import { fakeJob } from './fake-daemon.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function crockford(n: number, len: number): string {
  let out = '';
  for (let i = 0; i < len; i++, n = Math.floor(n / 32)) out = CROCKFORD[n % 32] + out;
  return out;
}

/** A store paged as GET /jobs pages it: ascending ids after `after`, `next` when more. */
function store(times: number[], opts: { desc?: boolean; ids?: (i: number) => string } = {}): FetchPage {
  // ULIDs as the daemon's monotonic factory makes them (time, then a part that grows within a
  // millisecond), without its cost (ulid's own takes ~0.1 ms an id).
  const ids = [...times].sort((a, b) => a - b).map((t, i) => opts.ids?.(i) ?? encodeTime(t, 10) + crockford(i + 1, 16)).sort();
  return async ({ after, limit, desc }) => {
    if (desc && opts.desc) {
      const all = [...ids].reverse();
      return { jobs: all.slice(0, limit).map((id) => fakeJob(id, 'succeeded')), next: all.length > limit ? all[limit - 1]! : null };
    }
    const from = after === undefined ? ids : ids.filter((id) => id > after);
    const page = from.slice(0, limit);
    return { jobs: page.map((id) => fakeJob(id, 'succeeded')), next: from.length > limit ? page[page.length - 1]! : null };
  };
}

async function truth(fetch: FetchPage, n: number): Promise<string[]> {
  const all = await fetch({ limit: 1e9 });
  return all.jobs.map((j) => j.id).slice(-n).reverse();
}

const DAY = 86400000;
const NOW = Date.UTC(2026, 10, 23, 18, 0, 0);

test('a short list: one request, newest first', async () => {
  const f = store([NOW - 3000, NOW - 2000, NOW - 1000]);
  const r = await newestJobs(f, 50, NOW);
  assert.deepEqual(r.jobs.map((j) => j.id), await truth(f, 50));
  assert.equal(r.requests, 1);
  assert.equal(r.more, false);
});

test('a daemon that honours order=desc: one request', async () => {
  const f = store(Array.from({ length: 500 }, (_, i) => NOW - i * 1000), { desc: true });
  const r = await newestJobs(f, 50, NOW);
  assert.equal(r.requests, 1);
  assert.equal(r.jobs.length, 50);
  assert.equal(r.more, true);
  assert.ok(r.jobs.every((j, i) => i === 0 || r.jobs[i - 1]!.id > j.id));
});

test('the newest of many, however their times spread, in few requests', async () => {
  const n = 50;
  const cases: [string, number[], number][] = [
    ['steady over a month', Array.from({ length: 20000 }, (_, i) => NOW - 30 * DAY + i * ((30 * DAY) / 20000)), NOW],
    ['the last a week ago', Array.from({ length: 5000 }, (_, i) => NOW - 60 * DAY + i * 60000), NOW],
    ['a burst in one millisecond after older ones', [...Array.from({ length: 1000 }, (_, i) => NOW - DAY + i * 1000), ...Array(3000).fill(NOW - 5000)], NOW],
    ['the daemon’s clock an hour ahead', Array.from({ length: 3000 }, (_, i) => NOW + 3600000 - i * 500), NOW],
    ['the daemon’s clock a day behind', Array.from({ length: 3000 }, (_, i) => NOW - DAY - i * 500), NOW],
    ['just over one page', Array.from({ length: 101 }, (_, i) => NOW - i * 10), NOW],
  ];
  for (const [what, times, now] of cases) {
    const f = store(times);
    const r = await newestJobs(f, n, now);
    assert.deepEqual(r.jobs.map((j) => j.id), await truth(f, n), what);
    assert.equal(r.more, true, what);
    // A burst is read on in pages of 10000 after the probes: one or two more requests.
    assert.ok(r.requests <= MAX_PROBES + 2, `${what}: ${r.requests} requests`);
  }
});

test('ids that are not ULIDs: read on, still right', async () => {
  const f = store(Array(300).fill(0), { ids: (i) => `job-${String(i).padStart(5, '0')}` });
  const r = await newestJobs(f, 20, NOW);
  assert.deepEqual(r.jobs.map((j) => j.id), await truth(f, 20));
});
