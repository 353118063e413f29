// The pure parts of single commands: log's words, connect's hosts, how a followed job ended,
// CPU and memory as shown, the refusal of destructive flags without a terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCli, refusalWithoutTerminal } from '../../console/cli-flags.js';
import { distinctHosts } from '../../console/commands/connect.js';
import { LOG_TAIL, parseLogArgs } from '../../console/commands/log.js';
import { jobEndLine } from '../../console/job-table.js';
import { cpuText, memText } from '../../console/task-table.js';
import { UsageError } from '../../contract/flags.js';
import { fakeJob } from './fake-daemon.js';
import { submitOptions } from '../../console/commands/submit.js';

test('log: a target, lines by position or -n, -f anywhere', () => {
  const cases: [string[], { target?: string; lines: number; follow: boolean }][] = [
    [[], { target: undefined, lines: LOG_TAIL, follow: false }],
    [['-f'], { target: undefined, lines: LOG_TAIL, follow: true }],
    [['-n', '20', '--follow'], { target: undefined, lines: 20, follow: true }],
    [['Task', '30'], { target: 'Task', lines: 30, follow: false }],
    [['01J', '-f', '--lines=5'], { target: '01J', lines: 5, follow: true }],
  ];
  for (const [args, want] of cases) assert.deepEqual(parseLogArgs(args), want, args.join(' '));
  for (const bad of [['a', 'b', 'c'], ['Task', 'x'], ['-n'], ['-n', '0']]) assert.throws(() => parseLogArgs(bad), UsageError, bad.join(' '));
});

test('connect offers each host once: not one typed already, nor one address spelt twice', () => {
  const known = ['a:8010', 'http://a:8010', 'b', 'c:9000'];
  assert.deepEqual(distinctHosts(known, []), ['a:8010', 'b', 'c:9000']);
  assert.deepEqual(distinctHosts(known, ['a']), ['b', 'c:9000']);
  assert.deepEqual(distinctHosts(known, ['b:8010', 'c:9000']), ['a:8010']);
});

test('how a followed job ended', () => {
  const j = (over: Partial<ReturnType<typeof fakeJob>>) => ({ ...fakeJob('01JOB', 'succeeded'), ...over });
  assert.equal(jobEndLine(j({ exit_code: 0 })), '--- job 01JOB succeeded (exit 0)');
  assert.equal(jobEndLine(j({ state: 'failed', exit_code: 2 })), '--- job 01JOB failed (exit 2)');
  assert.equal(jobEndLine(j({ state: 'timed_out', signal: 'SIGKILL', reason: 'ran past its timeout (5 s)' })), '--- job 01JOB timed_out (SIGKILL): ran past its timeout (5 s)');
  assert.equal(jobEndLine(j({ state: 'running' })), '--- the log stream ended; job 01JOB is running');
});

test('CPU and memory as shown; - when not sampled', () => {
  assert.equal(cpuText(null), '-');
  assert.equal(memText(null), '-');
  assert.equal(cpuText({ cpu_percent: 3.14159, rss_bytes: 0 }), '3.1%');
  assert.equal(cpuText({ cpu_percent: 187.6, rss_bytes: 0 }), '188%');
  assert.equal(memText({ cpu_percent: 0, rss_bytes: 512 }), '512 B');
  assert.equal(memText({ cpu_percent: 0, rss_bytes: 47_400_000 }), '45.2 MiB');
  assert.equal(memText({ cpu_percent: 0, rss_bytes: 300 * 1048576 }), '300 MiB');
  assert.equal(memText({ cpu_percent: 0, rss_bytes: 1.5 * 1073741824 }), '1.5 GiB');
});

test('destructive one-shot flags without a terminal: refused unless -y, saying which and how', () => {
  assert.equal(refusalWithoutTerminal(parseCli(['--status', '--list-pending'])), undefined);
  assert.equal(refusalWithoutTerminal(parseCli(['--purge', '-y'])), undefined);
  assert.equal(
    refusalWithoutTerminal(parseCli(['--purge-completed', '--exit'])),
    '--purge-completed, --exit would purge the completed jobs; make the daemon exit, and there is no terminal to confirm it on: nothing done; add -y to do it without asking',
  );
});

test('submit reads --after (repeated, comma lists, = or a space) and --after-any before the command', () => {
  assert.deepEqual(submitOptions('--after A,B -after=C --after-any make "all"'), { after: ['A', 'B', 'C'], afterAny: true, rest: 'make "all"' });
  assert.deepEqual(submitOptions('make --after A'), { after: [], afterAny: false, rest: 'make --after A' }, 'only leading options');
  assert.throws(() => submitOptions('--after'), UsageError);
  assert.throws(() => submitOptions('--after-any make'), /--after-any applies to --after/);
  assert.deepEqual(parseCli(['--submit', 'sleep', '1', '--after', 'K1,K2', '--after-any']).oneShots, [
    { flag: 'submit', lines: ['submit --after K1 --after K2 --after-any sleep 1'] },
  ]);
  assert.throws(() => parseCli(['--after', 'X', '--status']), /go with --submit/);
});
