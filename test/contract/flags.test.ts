import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, hostToUrl, UsageError } from '../../contract/flags.js';
import { didYouMean } from '../../contract/did-you-mean.js';

const spec = { host: { type: 'string' }, conf: { type: 'string' }, y: { type: 'boolean', short: 'y' } } as const;

for (const argv of [['-host=node:8010'], ['-host', 'node:8010'], ['--host=node:8010'], ['--host', 'node:8010']]) {
  test(`flags: ${argv.join(' ')} is --host node:8010`, () => {
    assert.equal(parseFlags(argv, spec).values.host, 'node:8010');
  });
}

test('flags: short flags stay short; unknown flags are usage errors', () => {
  assert.equal(parseFlags(['-y'], spec).values.y, true);
  assert.throws(() => parseFlags(['--nope'], spec), UsageError);
  assert.throws(() => parseFlags(['-nope=1'], spec), UsageError);
});

test('hosts: scheme and port defaults', () => {
  assert.equal(hostToUrl('node'), 'http://node:8010');
  assert.equal(hostToUrl('node:9000'), 'http://node:9000');
  assert.equal(hostToUrl('https://node'), 'https://node:8010');
  assert.equal(hostToUrl('http://127.0.0.1:80'), 'http://127.0.0.1');
});

test('did you mean', () => {
  assert.equal(didYouMean('stall_timout', ['stall_timeout', 'grace_period']), 'stall_timeout');
  assert.equal(didYouMean('zzz', ['stall_timeout', 'grace_period']), undefined);
});
