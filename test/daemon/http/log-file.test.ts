// Reading a log as one text across its rotated files: the last N lines, of the newest file up
// to a size the caller looked at (a follow starts at that size, so the tail and the follow must
// agree on it: a file that grows or appears between two looks must not give its new part twice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeAll, openChain, tailLog, tailOfChain } from '../../../daemon/http/log-chain.js';

test('tailOfChain: the last N lines, of the first `size` bytes when given; nothing for a missing file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-tail-'));
  try {
    const f = path.join(dir, 'x.log');
    assert.equal(tailLog(f, 5), '');
    writeFileSync(f, 'a\nb\nc\nd\n');
    assert.equal(tailLog(f, 2), 'c\nd\n');
    assert.equal(tailLog(f, 10), 'a\nb\nc\nd\n');
    assert.equal(tailLog(f, 0), '', 'tail=0 is no line (slice(-0) would be every line)');
    const chain = openChain(f, true);
    // As a follow that looked when the file held "a\nb\n" sees it: the rest is the follow's.
    assert.equal(tailOfChain(chain, 10, 4), 'a\nb\n');
    assert.equal(tailOfChain(chain, 10, 0), '', 'a follow that found no file yet starts from nothing');
    closeAll(chain);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tailLog reads into the rotated files, newest first, and joins a line cut by a rotation', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-tail-'));
  try {
    const f = path.join(dir, 'x.log');
    writeFileSync(`${f}.3`, 'gone?\n');
    writeFileSync(`${f}.2`, '1\n2\n');
    writeFileSync(`${f}.1`, '3\n4\nfi');
    writeFileSync(f, 've\n6\n');
    assert.equal(tailLog(f, 3), '4\nfive\n6\n');
    assert.equal(tailLog(f, 6), '1\n2\n3\n4\nfive\n6\n');
    assert.equal(tailLog(f, 100), 'gone?\n1\n2\n3\n4\nfive\n6\n');
    assert.equal(tailLog(f, 100, false), 've\n6\n', 'a log that is not rotated is its one file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
