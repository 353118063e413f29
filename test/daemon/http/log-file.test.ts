// tailLines: the last lines of a log, up to a size the caller looked at. A follow starts at that
// size, so the tail and the follow must agree on it: a file that grows or appears between two
// looks must not give its new part twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tailLines } from '../../../daemon/http/log-file.js';

test('tailLines: the last N lines, of the first `size` bytes when given; nothing for a missing file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-tail-'));
  try {
    const f = path.join(dir, 'x.log');
    assert.equal(tailLines(f, 5), '');
    writeFileSync(f, 'a\nb\nc\nd\n');
    assert.equal(tailLines(f, 2), 'c\nd\n');
    assert.equal(tailLines(f, 10), 'a\nb\nc\nd\n');
    assert.equal(tailLines(f, 0), '', 'tail=0 is no line (slice(-0) would be every line)');
    // As a follow that looked when the file held "a\nb\n" sees it: the rest is the follow's.
    assert.equal(tailLines(f, 10, 4), 'a\nb\n');
    assert.equal(tailLines(f, 10, 0), '', 'a follow that found no file yet starts from nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
