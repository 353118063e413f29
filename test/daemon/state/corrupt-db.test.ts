// A state dir whose bl.db is not a database (or a damaged one) stops bl-daemon's start with one
// line that names the file and says what to do, exit 1, no stack trace (a real daemon process).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { programArgv, startDaemon } from '../../helpers/daemon.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function start(dir: string): { status: number | null; stderr: string } {
  const conf = path.join(dir, 'c.json');
  writeFileSync(conf, JSON.stringify({ port: 0, state_dir: path.join(dir, 'state'), keepalives: { inbound_port: 0, internal_port: 0 } }));
  const r = spawnSync(process.execPath, [...programArgv('daemon/main'), `-conf=${conf}`], { encoding: 'utf8', timeout: 30000, cwd: dir });
  return { status: r.status, stderr: r.stderr };
}

function expectOneClearLine(r: { status: number | null; stderr: string }, db: string): void {
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.ok(lines[0]!.includes(db), `names ${db}: ${r.stderr}`);
  assert.match(lines[0]!, /move it aside/);
  assert.doesNotMatch(r.stderr, /\n\s+at |SqliteError/, 'no stack trace');
}

test('a bl.db that is not a database: one line naming it, exit 1', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-corrupt-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'state'));
  const db = path.join(dir, 'state', 'bl.db');
  writeFileSync(db, Buffer.alloc(64 * 1024, 'not a database, just text. '));
  expectOneClearLine(start(dir), db);
});

test('a damaged bl.db (its pages overwritten past the header): one line naming it, exit 1', async () => {
  const d = await startDaemon();
  dirs.push(d.dir);
  await d.request('POST', '/jobs', Array.from({ length: 200 }, (_, i) => ({ command: `echo ${i}`, cwd: '/' })));
  await d.stop();
  const db = path.join(d.dir, 'state', 'bl.db');
  const bytes = readFileSync(db);
  // Page 1 (the header and the schema's root) kept; every later page garbage.
  bytes.fill(0xa5, 4096);
  writeFileSync(db, bytes);
  rmSync(db + '-wal', { force: true });
  rmSync(db + '-shm', { force: true });
  expectOneClearLine(start(d.dir), db);
});
