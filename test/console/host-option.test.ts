import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickHost, takeHostOption } from '../../console/host-option.js';
import { UsageError } from '../../contract/flags.js';

test('takeHostOption: -host=H, --host H anywhere; only before the command for a raw one', () => {
  const cases: [string[], boolean, { host?: string; words: string[]; leading: number }][] = [
    [['Task', 'cardinality', '3'], false, { words: ['Task', 'cardinality', '3'], leading: 0 }],
    [['Task', '-host=b', 'cardinality', '3'], false, { host: 'b', words: ['Task', 'cardinality', '3'], leading: 0 }],
    [['--host', 'b:9000', 'Task'], false, { host: 'b:9000', words: ['Task'], leading: 2 }],
    [['-host=b', 'make', 'all'], true, { host: 'b', words: ['make', 'all'], leading: 1 }],
    [['--host', 'b', 'make'], true, { host: 'b', words: ['make'], leading: 2 }],
    // The shell command's own -host stays its own.
    [['ssh', '-host=x'], true, { words: ['ssh', '-host=x'], leading: 0 }],
  ];
  for (const [words, leadingOnly, want] of cases) assert.deepEqual(takeHostOption(words, leadingOnly), want, words.join(' '));
  assert.throws(() => takeHostOption(['-host'], false), UsageError);
  assert.throws(() => takeHostOption(['-host=a', '-host=b'], false), /expected one host, got "a" and "b"/);
});

test('pickHost: the label, the same address, or a unique start of a label', () => {
  const labels = ['alpha:8010', 'beta:8010', 'beta2:8010'];
  assert.equal(pickHost(labels, 'beta:8010'), 1);
  assert.equal(pickHost(labels, 'http://beta:8010'), 1);
  assert.equal(pickHost(labels, 'beta'), 1, 'no port is port 8010');
  assert.equal(pickHost(labels, 'al'), 0);
  assert.throws(() => pickHost(labels, 'bet'), /got "bet": several connected hosts start with it \(beta:8010, beta2:8010\)/);
  assert.throws(() => pickHost(labels, 'gamma'), /expected one of alpha:8010, beta:8010, beta2:8010, got "gamma": not a connected host/);
});
