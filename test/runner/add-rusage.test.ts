// A keeper's measures folded into a job's usage: its peak counts beside the samples; with no
// sample at all, its CPU time over the run stands for both CPU figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addRusage } from '../../runner/usage-sampler.js';

test('a keeper peak raises rss_max only; no measure leaves the usage as it was', () => {
  const u = { cpu_max: 80, rss_max: 1000, cpu_last: 20, rss_last: 900 };
  assert.deepEqual(addRusage(u, { cpu: 3, maxrss: 5000 }, 10_000), { ...u, rss_max: 5000 });
  assert.deepEqual(addRusage(u, { cpu: 3, maxrss: 10 }, 10_000), u);
  assert.deepEqual(addRusage(u, { cpu: null, maxrss: null }, 10_000), u);
});

test('with no sample, CPU seconds over the span in percent (tenths) and the peak for both RSS figures', () => {
  assert.deepEqual(addRusage(null, { cpu: 1.5, maxrss: 4096 }, 3000), { cpu_max: 50, cpu_last: 50, rss_max: 4096, rss_last: 4096 });
  assert.deepEqual(addRusage(null, { cpu: 1, maxrss: null }, 3000), { cpu_max: 33.3, cpu_last: 33.3, rss_max: 0, rss_last: 0 });
  assert.equal(addRusage(null, { cpu: null, maxrss: null }, 3000), null);
  // A span of 0 (an end recorded with no start time) does not divide by zero.
  assert.deepEqual(addRusage(null, { cpu: 0.002, maxrss: 1 }, 0), { cpu_max: 200, cpu_last: 200, rss_max: 1, rss_last: 1 });
});
