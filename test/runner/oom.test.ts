// How a job's end reads with what its cgroup counted (oom.ts): pure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupEnd, oomReason } from '../../runner/oom.js';
import type { RunResult } from '../../contract/run.js';

const MiB = 1024 * 1024;
const exited: RunResult = { outcome: 'exited', exitCode: null, signal: 'SIGKILL', usage: { cpu_max: 90, cpu_last: 80, rss_max: 40 * MiB, rss_last: 30 * MiB }, reason: null, exitedAt: 5 };
const counted = (oomKills: number, memoryPeak: number | null, memory: number | null = null) => ({ cpuUsec: 0, memory, memoryPeak, oomKills });

test('an exit the OOM killer caused ends oom, with the limit, the peak and how many it took', () => {
  const r = groupEnd(exited, counted(1, 64 * MiB), 64 * MiB);
  assert.equal(r.outcome, 'oom');
  assert.equal(r.reason, 'memory_max of 64 MiB reached (peak 64 MiB; the kernel\'s OOM killer ended 1 process)');
  assert.equal(r.reason, oomReason(1, 64 * MiB, 64 * MiB));
  assert.deepEqual([r.exitCode, r.signal, r.exitedAt], [null, 'SIGKILL', 5], 'how it exited is kept');
});

test('the group\'s peak counts towards rss_max when above the sampled one; the other figures stay', () => {
  assert.deepEqual(groupEnd(exited, counted(0, 100 * MiB), undefined).usage, { cpu_max: 90, cpu_last: 80, rss_max: 100 * MiB, rss_last: 30 * MiB });
  assert.deepEqual(groupEnd(exited, counted(0, 10 * MiB), undefined).usage, exited.usage, 'a lower peak changes nothing');
  // No memory.peak (before Linux 5.19): what it holds now is the floor.
  assert.equal(groupEnd(exited, counted(0, null, 50 * MiB), undefined).usage?.rss_max, 50 * MiB);
  assert.deepEqual(groupEnd({ ...exited, usage: null }, counted(0, 8 * MiB), undefined).usage, { cpu_max: 0, cpu_last: 0, rss_max: 8 * MiB, rss_last: 0 }, 'no sample at all: the peak alone');
  assert.equal(groupEnd({ ...exited, usage: null }, counted(0, null), undefined).usage, null, 'nothing counted: no usage');
});

test('a run bl was ending keeps that outcome, OOM kill or not; an exit with no OOM kill stays exited', () => {
  for (const outcome of ['cancelled', 'timed_out', 'orphaned', 'lost'] as const) {
    const r = groupEnd({ ...exited, outcome, reason: 'why' }, counted(2, 64 * MiB), 64 * MiB);
    assert.deepEqual([r.outcome, r.reason], [outcome, 'why']);
  }
  const r = groupEnd(exited, counted(0, 64 * MiB), 64 * MiB);
  assert.deepEqual([r.outcome, r.reason], ['exited', null]);
  assert.match(groupEnd(exited, counted(3, null), undefined).reason!, /^out of memory \(the kernel's OOM killer ended 3 processes\)$/);
});
