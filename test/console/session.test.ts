// The session against small fake daemons: fan-out and labels, JSON by host, exit codes, the
// completion cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../console/session.js';
import { startFakeDaemon, type FakeDaemon } from './fake-daemon.js';
import { freePort } from '../helpers/net.js';

let a: FakeDaemon;
let b: FakeDaemon;
before(async () => {
  a = await startFakeDaemon(['Alpha']);
  b = await startFakeDaemon(['Beta']);
});
after(async () => {
  await a.close();
  await b.close();
});

const text = (o: { lines: { text: string }[] }) => o.lines.map((l) => l.text).join('\n');

test('reads fan out to every host, labelled; a task command goes to the host that has the task', async () => {
  const s = new Session({ hosts: [a.host, b.host], cwd: '/tmp' });
  const ls = await s.run('ls');
  assert.equal(ls.code, 0);
  assert.equal(
    text(ls),
    [`── ${a.host}`, 'TASK   STATE    WORKERS  RESTARTS  CPU  MEM  LAST EXIT', 'Alpha  running  1/1      0         -    -', `── ${b.host}`, 'TASK  STATE    WORKERS  RESTARTS  CPU  MEM  LAST EXIT', 'Beta  running  1/1      0         -    -'].join('\n'),
  );
  b.requests.length = 0;
  const set = await s.run('set Alpha cardinality 2');
  assert.equal(text(set), `── ${a.host}\nChanged workers cardinality`);
  assert.deepEqual(b.requests, ['GET /list'], 'b was only asked which tasks it has');
  a.tasks.get('Alpha')!.cardinality = 1;
});

test('several hosts: -host=H picks one; a command for one host with none named asks for it (exit 2)', async () => {
  const s = new Session({ hosts: [a.host, b.host], cwd: '/tmp' });
  const asked = await s.run('concurrency 3');
  assert.equal(asked.code, 2);
  assert.equal(text(asked), `ERROR: concurrency goes to one daemon and 2 are connected: say which with -host=HOST (one of ${a.host}, ${b.host}), e.g. concurrency 3 -host=${a.host}`);
  b.requests.length = 0;
  const picked = await s.run(`lw -host=${b.host}`);
  assert.equal(picked.code, 0, text(picked));
  assert.match(text(picked), new RegExp(`^── ${b.host.replace(/\./g, '\\.')}\nTASK +PID +STATE .*\nBeta +1000 +running `));
  assert.deepEqual(b.requests, ['GET /tasks']);
  const bare = await s.run('start');
  assert.equal(bare.code, 2);
  assert.equal(text(bare), `── ${a.host}\nERROR: usage: start TASK (got none)`, 'a usage error once, not once a host');
  const wrong = await s.run('ls -host=elsewhere:1');
  assert.equal(wrong.code, 2);
  assert.match(text(wrong), /^ERROR: -host: expected one of .*, got "elsewhere:1": not a connected host$/);
  // Both have a task of that name: which one is meant?
  b.tasks.set('Alpha', { running: true, cardinality: 1 });
  try {
    const both = await s.run('start Alpha');
    assert.equal(both.code, 2);
    assert.match(text(both), new RegExp(`^ERROR: task Alpha is on ${a.host.replace(/\./g, '\\.')} and ${b.host.replace(/\./g, '\\.')}: say which with -host=HOST`));
  } finally {
    b.tasks.delete('Alpha');
  }
});

test('--json: one host prints its JSON, several print it keyed by host', async () => {
  const one = new Session({ hosts: [a.host], cwd: '/tmp', json: true });
  const names = (o: { tasks: { name: string }[] }) => o.tasks.map((t) => t.name);
  assert.deepEqual(names(JSON.parse(text(await one.run('ls')))), ['Alpha']);
  const two = new Session({ hosts: [a.host, b.host], cwd: '/tmp', json: true });
  const keyed = JSON.parse(text(await two.run('ls')));
  assert.deepEqual(Object.keys(keyed), [a.host, b.host]);
  assert.deepEqual(names(keyed[b.host]), ['Beta']);
});

test('exit codes: refused 1, usage 2, unreachable 3 (it outranks the others)', async () => {
  const s = new Session({ hosts: [a.host], cwd: '/tmp' });
  const refused = await s.run('set Nope cardinality 2');
  assert.equal(refused.code, 1);
  assert.deepEqual(refused.lines, [{ text: 'ERROR: no task named Nope', err: true }]);
  assert.equal((await s.run('jobs sideways')).code, 2);
  assert.equal((await s.run('nope')).code, 2);
  const mixed = new Session({ hosts: [a.host, `127.0.0.1:${await freePort()}`], cwd: '/tmp' });
  assert.equal((await mixed.run('ls')).code, 3);
});

test('task names for completion: every host, fetched again only once the cache has aged', async () => {
  const s = new Session({ hosts: [a.host, b.host], cwd: '/tmp', cacheMs: 60000 });
  a.requests.length = 0;
  assert.deepEqual((await s.taskNames()).sort(), ['Alpha', 'Beta']);
  assert.deepEqual((await s.taskNames()).sort(), ['Alpha', 'Beta']);
  assert.deepEqual(a.requests, ['GET /list'], 'cached');
  const fresh = new Session({ hosts: [a.host], cwd: '/tmp', cacheMs: 0 });
  a.requests.length = 0;
  await fresh.taskNames();
  await fresh.taskNames();
  assert.deepEqual(a.requests, ['GET /list', 'GET /list'], 'not cached past its age');
  a.tasks.get('Alpha')!.cardinality = 1;
});

test('an empty list says what it lists: `jobs errors` is "No jobs ended in error"', async () => {
  const s = new Session({ hosts: [a.host], cwd: '/tmp' });
  assert.equal(text(await s.run('jobs errors')), 'No jobs ended in error');
  assert.equal(text(await s.run('jobs pending')), 'No pending jobs');
});
