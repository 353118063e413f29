// The pure parts of `alloc`: its words, time left as shown, the table fitted to a width with the
// pause on top, the counts of the status line and `broker`, what Tab notes beside an id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocationBlocks, allocationCount, allocationNote, allocationStates, timeLeftText } from '../../console/allocation-table.js';
import { brokerBlocks } from '../../console/commands/broker.js';
import { parseAllocArgs } from '../../console/commands/alloc.js';
import { renderBlock, visibleLength } from '../../console/render-text.js';
import { snapshotBlocks } from '../../console/snapshot.js';
import type { Block } from '../../console/result.js';
import { statusText } from '../../console/ui/status-line.js';
import { UsageError } from '../../contract/flags.js';
import type { AllocationJson, AllocationsJson, BrokerJson } from '../../contract/types.js';

function allocation(id: string, over: Partial<AllocationJson> = {}): AllocationJson {
  return {
    id, state: 'pending', launcher: `slurm-${id}`, node: null, submitted_at: '2026-12-01T10:00:00.000Z', started_at: null, ended_at: null,
    end_at: null, time_left_s: null, connected: false, jobs_run: 0, reason: null, ...over,
  };
}

const LIST: AllocationsJson = {
  paused: null,
  allocations: [
    allocation('4001', { state: 'running', node: 'cn01', time_left_s: 3725, connected: true, jobs_run: 12 }),
    allocation('4002', { state: 'running', node: 'cn02', time_left_s: 42 }),
    allocation('4003'),
    allocation('3999', { state: 'ended', node: 'cn01', jobs_run: 40, reason: 'reached its time limit (walltime 01:00:00) with no job left to run' }),
  ],
};

const lines = (blocks: Block[], width?: number) => blocks.flatMap((b) => renderBlock(b, false, width));

test('alloc: its words; a bad line is a usage error saying what was expected', () => {
  assert.deepEqual(parseAllocArgs([]), { sub: 'ls' });
  assert.deepEqual(parseAllocArgs(['ls']), { sub: 'ls' });
  assert.deepEqual(parseAllocArgs(['add']), { sub: 'add', count: 1 });
  assert.deepEqual(parseAllocArgs(['add', '3']), { sub: 'add', count: 3 });
  assert.deepEqual(parseAllocArgs(['cancel', '4001']), { sub: 'cancel', id: '4001' });
  assert.deepEqual(parseAllocArgs(['resume']), { sub: 'resume' });
  const refused: [string[], string][] = [
    [['add', '0'], 'alloc add: expected how many allocations to submit (1 or more), got "0"'],
    [['add', 'two'], 'alloc add: expected how many allocations to submit (1 or more), got "two"'],
    [['add', '1', '2'], 'usage: alloc add [N] (got arguments: "1" "2")'],
    [['cancel'], 'usage: alloc cancel ID (got none)'],
    [['resume', 'now'], 'usage: alloc resume (got "now")'],
    [['ls', '-a'], 'usage: alloc [ls] (got "-a")'],
    [['kill', '4001'], 'alloc: expected ls, add, cancel, resume or nothing, got "kill"'],
  ];
  for (const [args, message] of refused) assert.throws(() => parseAllocArgs(args), (e) => e instanceof UsageError && e.message === message, args.join(' '));
});

test('time left: seconds, minutes, hours, days; - when unknown', () => {
  assert.equal(timeLeftText(null), '-');
  assert.equal(timeLeftText(0), '0s');
  assert.equal(timeLeftText(-3), '0s');
  assert.equal(timeLeftText(42), '42s');
  assert.equal(timeLeftText(65), '1m 05s');
  assert.equal(timeLeftText(3725), '1h 02m');
  assert.equal(timeLeftText(2 * 86400 + 4 * 3600 + 59), '2d 04h');
});

test('the list: a row an allocation, the reason cut to fit the width; the pause on top', () => {
  assert.deepEqual(lines(allocationBlocks(LIST)), [
    'ID    STATE    NODE  TIME LEFT  JOBS  CONNECTED  REASON',
    '4001  running  cn01  1h 02m     12    yes',
    '4002  running  cn02  42s        0     no',
    '4003  pending  -     -          0     no',
    '3999  ended    cn01  -          40    -          reached its time limit (walltime 01:00:00) with no job left to run',
  ]);
  const narrow = lines(allocationBlocks(LIST), 80);
  assert.equal(narrow[4], '3999  ended    cn01  -          40    -          reached its time limit (wallti…');
  for (const l of narrow) assert.ok(visibleLength(l) <= 80, l);

  const paused = lines(allocationBlocks({ paused: 'sbatch failed 3 times in a row: sbatch: error: invalid partition "gpu"', allocations: [] }));
  assert.deepEqual(paused, ['Paused: sbatch failed 3 times in a row: sbatch: error: invalid partition "gpu" (alloc resume submits again)', 'No allocations']);
});

test('counts: the live ones (status line, watch), by state (broker), the note Tab shows', () => {
  assert.equal(allocationCount(LIST), '3 allocations');
  assert.equal(allocationCount({ paused: 'x', allocations: [LIST.allocations[0]!] }), '1 allocation (paused)');
  assert.equal(allocationStates(LIST), '2 running, 1 pending');
  assert.equal(allocationStates({ paused: null, allocations: [] }), 'none');
  assert.equal(allocationNote(LIST.allocations[0]!), 'running  cn01');
  assert.equal(allocationNote(LIST.allocations[2]!), 'pending  -');
});

test('the status line, watch and broker say allocations only when the daemon has Slurm', () => {
  const broker: BrokerJson = {
    concurrency: 4, urgent_bypass: false, paused: false, running: 1, pending: 9, pending_urgent: 0, waiting: 0,
    counts: { waiting: 0, pending: 9, running: 1, succeeded: 0, failed: 0, timed_out: 0, dead: 0, oom: 0, cancelled: 0, lost: 0 }, launchers: [],
  };
  const snapshot = { connected: true, tasks: [], broker, at: 0 };
  assert.equal(statusText({ label: 'head:8010', snapshot }), 'head:8010  connected · 0 tasks, 0 workers · jobs 1 running, 9 pending · concurrency 4');
  const slurm = { ...snapshot, broker: { ...broker, allocations: LIST } };
  assert.equal(statusText({ label: 'head:8010', snapshot: slurm }), 'head:8010  connected · 0 tasks, 0 workers · jobs 1 running, 9 pending · concurrency 4 · 3 allocations');

  assert.deepEqual(lines(snapshotBlocks(slurm)), ['No active tasks', 'Jobs: 1 running, 9 pending · concurrency 4 · 3 allocations'], 'watch');

  assert.doesNotMatch(lines(brokerBlocks(broker)).join('\n'), /Allocations/);
  const withPause = lines(brokerBlocks({ ...broker, allocations: { ...LIST, paused: 'sbatch failed 3 times in a row' } }));
  assert.deepEqual(withPause.slice(-2), ['Allocations:         2 running, 1 pending', 'Allocations paused:  sbatch failed 3 times in a row']);
});
