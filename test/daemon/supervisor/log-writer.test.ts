// The daemon's log files: appended in order, moved to .1 at their size limit (the .1 before
// replaced), opened again when moved away under the daemon; a shared one lives while one owner does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogWriter, acquireLog, releaseLog } from '../../../daemon/supervisor/log-writer.js';
import { waitFor } from '../../helpers/wait.js';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'bl-logw-'));
}

test('writes in order, once a turn or when flushed; rotates to .1 at the limit', () => {
  const dir = tmp();
  try {
    const f = path.join(dir, 'sub', 't.log');
    const w = new LogWriter(f, () => ({ maxBytes: 10, keep: 1 }));
    w.open();
    w.write(Buffer.from('1234\n'));
    w.write(Buffer.from('5678\n'));
    w.flush();
    assert.equal(readFileSync(f + '.1', 'utf8'), '1234\n5678\n', 'at 10 bytes the file moved to .1');
    assert.equal(readFileSync(f, 'utf8'), '', 'and a new one started');
    w.write(Buffer.from('abc\n'));
    w.flush();
    w.write(Buffer.from('defghij\n'));
    w.close();
    assert.equal(readFileSync(f + '.1', 'utf8'), 'abc\ndefghij\n', 'the .1 before is replaced');
    assert.equal(readFileSync(f, 'utf8'), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a queued write reaches the file by itself at the end of the turn', async () => {
  const dir = tmp();
  try {
    const f = path.join(dir, 't.log');
    const w = new LogWriter(f);
    w.write(Buffer.from('later\n'));
    await waitFor('the write', () => existsSync(f) && readFileSync(f, 'utf8') === 'later\n');
    w.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file moved away under the writer is started again at its path', async () => {
  const dir = tmp();
  try {
    const f = path.join(dir, 't.log');
    const w = new LogWriter(f);
    w.write(Buffer.from('one\n'));
    w.flush();
    renameSync(f, path.join(dir, 'elsewhere.log'));
    // It looks at the path about once a second: write until it has.
    await waitFor('a new file at the path', () => {
      w.write(Buffer.from('two\n'));
      w.flush();
      return existsSync(f);
    });
    w.close();
    assert.match(readFileSync(f, 'utf8'), /^(two\n)+$/);
    assert.match(readFileSync(path.join(dir, 'elsewhere.log'), 'utf8'), /^one\n(two\n)*$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a shared log stays open while one owner holds it', () => {
  const dir = tmp();
  try {
    const f = path.join(dir, 'all.log');
    const a = acquireLog(f);
    const b = acquireLog(f);
    assert.equal(a, b);
    a.write(Buffer.from('a\n'));
    releaseLog(a);
    assert.equal(readFileSync(f, 'utf8'), 'a\n', 'a release writes what is queued');
    b.write(Buffer.from('b\n'));
    releaseLog(b);
    assert.equal(readFileSync(f, 'utf8'), 'a\nb\n');
    const c = acquireLog(f);
    assert.notEqual(c, a, 'released by all: the next owner gets a new one');
    releaseLog(c);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
