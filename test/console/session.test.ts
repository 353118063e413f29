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

test('reads fan out to every host, labelled; writes go to the first host only', async () => {
  const s = new Session({ hosts: [a.host, b.host], cwd: '/tmp' });
  const ls = await s.run('ls');
  assert.equal(ls.code, 0);
  assert.equal(text(ls), `── ${a.host}\nTASK   STATE\nAlpha  running\n── ${b.host}\nTASK  STATE\nBeta  running`);
  b.requests.length = 0;
  const set = await s.run('set Alpha cardinality 2');
  assert.equal(text(set), 'Changed workers cardinality');
  assert.deepEqual(b.requests, []);
});

test('--json: one host prints its JSON, several print it keyed by host', async () => {
  const one = new Session({ hosts: [a.host], cwd: '/tmp', json: true });
  assert.deepEqual(JSON.parse(text(await one.run('ls'))), { tasks: [{ name: 'Alpha', running: true }] });
  const two = new Session({ hosts: [a.host, b.host], cwd: '/tmp', json: true });
  assert.deepEqual(JSON.parse(text(await two.run('ls'))), {
    [a.host]: { tasks: [{ name: 'Alpha', running: true }] },
    [b.host]: { tasks: [{ name: 'Beta', running: true }] },
  });
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
