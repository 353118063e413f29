import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HOST, parseCli } from '../../console/cli-flags.js';
import { UsageError } from '../../contract/flags.js';

test('hosts: Go-style and GNU-style, comma-separated, default', () => {
  const cases: [string[], string[]][] = [
    [[], [DEFAULT_HOST]],
    [['-host=node:8010'], ['node:8010']],
    [['-host', 'node:8010'], ['node:8010']],
    [['--host=a,b:9000'], ['a', 'b:9000']],
    [['--host', 'a', '--host', 'https://c'], ['a', 'https://c']],
  ];
  for (const [argv, hosts] of cases) assert.deepEqual(parseCli(argv).hosts, hosts, argv.join(' '));
});

test('one-shot flags become console lines, destructive ones carry a question', () => {
  const cases: [string[], { flag: string; lines: string[]; confirm?: boolean }[]][] = [
    [['--status'], [{ flag: 'status', lines: ['broker', 'status'] }]],
    [['--submit', 'sleep 1'], [{ flag: 'submit', lines: ['submit sleep 1'] }]],
    [['--submit', 'sleep', '1'], [{ flag: 'submit', lines: ['submit sleep 1'] }]],
    [['-urgent=make all'], [{ flag: 'urgent', lines: ['urgent make all'] }]],
    [['--increase-concurrency'], [{ flag: 'increase-concurrency', lines: ['concurrency +'] }]],
    [['--decrease-concurrency'], [{ flag: 'decrease-concurrency', lines: ['concurrency -'] }]],
    [['--enable-urgent-concurrent'], [{ flag: 'enable-urgent-concurrent', lines: ['urgent-concurrent on'] }]],
    [['--disable-urgent-concurrent'], [{ flag: 'disable-urgent-concurrent', lines: ['urgent-concurrent off'] }]],
    [['--purge'], [{ flag: 'purge', lines: ['purge'], confirm: true }]],
    [['--purge-completed'], [{ flag: 'purge-completed', lines: ['purge completed'], confirm: true }]],
    [['--purge-pending'], [{ flag: 'purge-pending', lines: ['purge pending'], confirm: true }]],
    [['--exit-worker'], [{ flag: 'exit-worker', lines: ['exit-worker'] }]],
    [['--exit'], [{ flag: 'exit', lines: ['shutdown'], confirm: true }]],
    [['--list-pending'], [{ flag: 'list-pending', lines: ['jobs pending'] }]],
    [['--list-running'], [{ flag: 'list-running', lines: ['jobs running'] }]],
    [['--list-completed'], [{ flag: 'list-completed', lines: ['jobs completed'] }]],
  ];
  for (const [argv, want] of cases) {
    const got = parseCli(argv).oneShots.map((o) => ({ flag: o.flag, lines: o.lines, ...(o.confirm ? { confirm: true } : {}) }));
    assert.deepEqual(got, want, argv.join(' '));
  }
});

test('-c, words after the flags, --json, -y, --token', () => {
  const o = parseCli(['-c', 'ls; status', '--json', '-y', '--token', 'T', '--ca', '/etc/ca.pem']);
  assert.equal(o.ca, '/etc/ca.pem');
  assert.deepEqual(o.commands, ['ls; status']);
  assert.equal(o.json, true);
  assert.equal(o.yes, true);
  assert.equal(o.token, 'T');
  assert.deepEqual(parseCli(['-host=x', 'set', 'Task', 'cardinality', '3']).commands, ['set Task cardinality 3']);
});

test('usage errors', () => {
  for (const argv of [['--bogus'], ['--host'], ['--host='], ['--submit', ''], ['--status', 'extra'], ['--host=http://']]) {
    assert.throws(() => parseCli(argv), UsageError, argv.join(' '));
  }
});
