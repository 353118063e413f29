// What execve cannot take, found before anything is stored: the daemon's submit check
// (spawnable.ts) and the spawn helpers' own (protocol.ts requestProblem) name the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSpawnable, spawnRefusal } from '../../../../daemon/broker/submit/spawnable.js';
import { requestProblem } from '../../../../runner/spawn-helpers/protocol.js';
import type { NewJob } from '../../../../daemon/broker/types.js';

const job = (o: Partial<NewJob>): NewJob => ({ command: 'true', argv: null, cwd: '/', env: {}, queue: 'normal', timeout: null, idleCpu: null, retries: 0, key: null, labels: {}, ...o });

test('spawnRefusal names the field and what was expected; a job execve can take passes', () => {
  assert.equal(spawnRefusal(job({ env: { A: 'x=y', B_2: '' } })), undefined);
  assert.equal(spawnRefusal(job({ command: null, argv: ['/bin/echo', 'é', ''] })), undefined);
  assert.equal(spawnRefusal(job({ command: 'ab\0' })), 'expected `command` without a NUL byte (\\u0000), found one at character 2');
  assert.equal(spawnRefusal(job({ command: null, argv: ['x', 'y', '\0'] })), 'expected `argv[2]` without a NUL byte (\\u0000), found one at character 0');
  assert.equal(spawnRefusal(job({ cwd: '/a\0' })), 'expected `cwd` without a NUL byte (\\u0000), found one');
  assert.equal(spawnRefusal(job({ env: { '': 'x' } })), 'expected `env` names to be non-empty, found an empty name');
  assert.equal(spawnRefusal(job({ env: { 'A=B': 'x' } })), 'expected `env` names without `=`, found "A=B"');
  assert.equal(spawnRefusal(job({ env: { 'A\0': 'x' } })), 'expected `env` names without a NUL byte (\\u0000), found "A\\u0000"');
  assert.equal(spawnRefusal(job({ env: { OK: 'x', A: 'x\0' } })), 'expected `env.A` without a NUL byte (\\u0000), found one at character 1');
});

test('checkSpawnable: a 400 for the first bad job of a submit, by its place and its sweep combination', () => {
  assert.doesNotThrow(() => checkSpawnable([job({}), job({})]));
  assert.throws(() => checkSpawnable([job({ command: '\0' })]), { code: 'bad_value', status: 400, message: 'expected `command` without a NUL byte (\\u0000), found one at character 0; nothing was submitted' });
  assert.throws(() => checkSpawnable([job({}), job({ env: { '': '' } }), job({ command: '\0' })]), { message: /^job 2 of 3: expected `env` names to be non-empty/ });
  assert.throws(() => checkSpawnable([job({ command: 'echo \0', params: { v: '\0' } })]), { message: /^job \(the sweep's combination \{"v":"\\u0000"\}\): expected `command`/ });
});

test('requestProblem: what a spawn helper refuses before it starts anything', () => {
  const req = { tries: [{ file: '/bin/sh', args: ['-c', 'true'] }], cwd: '/', env: { A: '1' }, logPath: '/dev/null', header: null };
  assert.equal(requestProblem(req), undefined);
  assert.equal(requestProblem({ ...req, tries: [{ file: 'x', args: [] }, { file: '/bin/sh', args: ['-c', 'a\0'] }] }), 'argument 2 of "/bin/sh" holds a NUL byte');
  assert.equal(requestProblem({ ...req, cwd: '/\0' }), 'the working directory holds a NUL byte');
  assert.equal(requestProblem({ ...req, env: { 'A=': '' } }), 'the environment variable name "A=" is empty or holds = or a NUL byte');
  assert.equal(requestProblem({ ...req, env: { A: '\0' } }), 'the environment variable A holds a NUL byte');
});
