// The console keeps a token per host: `--token T` (or `connect h --token T`) once, and later
// runs against that host need no token; the settings file is its owner's only.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { runConsole } from './run-console.js';

const TOKEN = 'tok-' + Math.random().toString(36).slice(2);
let d: InProcessDaemon;
let dir: string;

before(async () => {
  d = await startInProcess({ config: { auth: { token: TOKEN }, broker: { concurrency: 1 } } });
  dir = mkdtempSync(path.join(tmpdir(), 'bl-console-conf-'));
});
after(async () => {
  await d.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => runConsole(args, { confDir: dir });
const stored = () => JSON.parse(readFileSync(path.join(dir, 'console.json'), 'utf8')).tokens as Record<string, string>;

test('--token once, then no token needed for that host', async () => {
  const refused = await run([`-host=${d.url}`, '-c', 'jobs']);
  assert.equal(refused.code, 1, refused.out + refused.err);
  const first = await run([`-host=${d.url}`, '--token', TOKEN, '-c', 'jobs']);
  assert.equal(first.code, 0, first.out + first.err);
  assert.deepEqual(stored(), { [d.url]: TOKEN });
  assert.equal(statSync(path.join(dir, 'console.json')).mode & 0o777, 0o600, 'only its owner reads the tokens');
  const later = await run([`-host=${d.url}`, '-c', 'jobs']);
  assert.equal(later.code, 0, later.out + later.err);
});

test('connect HOST --token T remembers it for that host', async () => {
  // The same daemon under another name is another host for the console.
  const other = d.url.replace('127.0.0.1', 'localhost');
  const c = await run([`-host=${d.url}`, '-c', `connect ${other} --token=${TOKEN}; jobs`]);
  assert.equal(c.code, 0, c.out + c.err);
  assert.match(c.out, new RegExp(`Connected to ${other}`));
  assert.equal(stored()[other], TOKEN);
  const later = await run([`-host=${other}`, '--status']);
  assert.equal(later.code, 0, later.out + later.err);
});

test('a remembered token the daemon refuses still fails with 401', async () => {
  const wrong = await run([`-host=${d.url}`, '--token', 'not-it', '-c', 'jobs']);
  assert.equal(wrong.code, 1);
  assert.equal(wrong.err, 'ERROR: authentication required\n');
  assert.equal(stored()[d.url], 'not-it', 'the last --token given wins');
  const later = await run([`-host=${d.url}`, '-c', 'jobs']);
  assert.equal(later.code, 1, later.out + later.err);
  assert.equal(later.out, '');
  assert.equal(later.err, 'ERROR: authentication required\n');
});
