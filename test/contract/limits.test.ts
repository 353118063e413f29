// memory_max, cpu_max and pids_max as written in a task's config or a submit, read into bytes,
// cores and processes; bad values refused saying what was expected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, limitsText, parseCpu, parseLimits, parseMemory, parsePids } from '../../contract/limits.js';

test('memory_max: bytes as a number, or a size with K/M/G/T (and an optional iB)', () => {
  assert.deepEqual(parseMemory(64 * 1024 * 1024), { value: 64 * 1024 * 1024 });
  assert.deepEqual(parseMemory('512M'), { value: 512 * 1024 ** 2 });
  assert.deepEqual(parseMemory('1.5G'), { value: 1.5 * 1024 ** 3 });
  assert.deepEqual(parseMemory('64MiB'), { value: 64 * 1024 ** 2 });
  assert.deepEqual(parseMemory('2048k'), { value: 2048 * 1024 });
  assert.match((parseMemory('lots') as { error: string }).error, /expected bytes .* "512M".*got "lots"/);
  assert.match((parseMemory(1000) as { error: string }).error, /at least 1M, got 1000/);
  assert.match((parseMemory(true) as { error: string }).error, /got true/);
});

test('cpu_max: cores as a number or a string, or a percentage of one core', () => {
  assert.deepEqual(parseCpu('50%'), { value: 0.5 });
  assert.deepEqual(parseCpu('250%'), { value: 2.5 });
  assert.deepEqual(parseCpu(1.5), { value: 1.5 });
  assert.deepEqual(parseCpu('2'), { value: 2 });
  assert.match((parseCpu('half') as { error: string }).error, /cores \(1.5\) or a percentage of one core \("50%"\), got "half"/);
  assert.match((parseCpu(0) as { error: string }).error, /at least 1% of a core, got 0/);
  assert.match((parseCpu('0.5%') as { error: string }).error, /at least 1%/);
});

test('pids_max: a whole number of at least 1', () => {
  assert.deepEqual(parsePids(10), { value: 10 });
  assert.match((parsePids(0) as { error: string }).error, /at least 1, got 0/);
  assert.match((parsePids('10') as { error: string }).error, /got "10"/);
  assert.match((parsePids(2.5) as { error: string }).error, /got 2.5/);
});

test('parseLimits reads the three fields, names the first bad one, and gives null for none', () => {
  assert.deepEqual(parseLimits({ command: 'x' }), { limits: null });
  assert.deepEqual(parseLimits({ memory_max: null }), { limits: null });
  assert.deepEqual(parseLimits({ memory_max: '64M', cpu_max: '50%', pids_max: 20 }), { limits: { memory_max: 64 * 1024 ** 2, cpu_max: 0.5, pids_max: 20 } });
  const bad = parseLimits({ memory_max: '64M', cpu_max: 'lots' });
  assert.ok('field' in bad);
  assert.equal(bad.field, 'cpu_max');
});

test('limits and sizes read back for people', () => {
  assert.equal(formatBytes(64 * 1024 ** 2), '64 MiB');
  assert.equal(formatBytes(1.5 * 1024 ** 3), '1.5 GiB');
  assert.equal(formatBytes(100), '100 B');
  assert.equal(limitsText({ memory_max: 1024 ** 3, cpu_max: 1, pids_max: 5 }), 'memory_max 1 GiB, cpu_max 1 core, pids_max 5');
});
