// The end of a job's log sent with a report: whole when short, cut at a line when long.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { logTail } from '../../launcher/log-tail.js';

it('logTail: the whole of a short log, a long one from a line start, nothing for a missing file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-tail-'));
  try {
    const f = path.join(dir, 'j.log');
    writeFileSync(f, 'one\ntwo\n');
    assert.deepEqual(logTail(f, 100), { text: 'one\ntwo\n', skipped: 0 });
    writeFileSync(f, 'aaaa\nbbbb\ncccc\n');
    // The last 8 bytes start inside "bbbb": the cut line is dropped and counted.
    assert.deepEqual(logTail(f, 8), { text: 'cccc\n', skipped: 10 });
    writeFileSync(f, 'é'.repeat(10));
    const t = logTail(f, 5);
    assert.equal(t.skipped + Buffer.byteLength(t.text), 20);
    assert.deepEqual(logTail(path.join(dir, 'none.log')), { text: '', skipped: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('logTail: a log rotated a moment ago (log_max_bytes) takes what the new file lacks from the end of its .1', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-tail-'));
  try {
    const f = path.join(dir, 'j.log');
    writeFileSync(`${f}.2`, 'older\n');
    writeFileSync(`${f}.1`, 'aaaa\nbbbb\ncccc\n');
    writeFileSync(f, 'dd\n');
    // 10 bytes: "dd\n" and the last 7 of .1, which start inside "bbbb": cut at the next line.
    assert.deepEqual(logTail(f, 10), { text: 'cccc\ndd\n', skipped: 10 });
    // 8 bytes: the last 5 of .1 are taken for a cut line, as in one file.
    assert.deepEqual(logTail(f, 8), { text: 'dd\n', skipped: 15 });
    assert.deepEqual(logTail(f, 100), { text: 'aaaa\nbbbb\ncccc\ndd\n', skipped: 0 }, 'only the one rotated file before is read');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
