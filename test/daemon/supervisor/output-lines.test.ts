// The byte-level line work of the output capture: prefixes for the interleaved log, the last
// lines kept for a last exit, the line that says what went wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countLines, lastErrorLine, lastLinesOf, prefixLines } from '../../../daemon/supervisor/output-lines.js';

const b = (s: string) => Buffer.from(s);

test('prefixLines puts the prefix before every line, empty ones too', () => {
  assert.equal(prefixLines(b('T 7 | '), b('a\n\nbé\n')).toString(), 'T 7 | a\nT 7 | \nT 7 | bé\n');
  assert.equal(prefixLines(b('T 7 | '), b('one\n')).toString(), 'T 7 | one\n');
  assert.equal(prefixLines(b('T 7 | '), b('')).toString(), '');
  assert.equal(countLines(b('a\n\nb\n')), 3);
});

test('lastLinesOf: the last n lines, decoded, without newline or carriage return', () => {
  assert.deepEqual(lastLinesOf(b('a\nb\nc\n'), 2), ['b', 'c']);
  assert.deepEqual(lastLinesOf(b('a\nb\nc\n'), 10), ['a', 'b', 'c']);
  assert.deepEqual(lastLinesOf(b('a\r\n\nz\n'), 10), ['a', '', 'z']);
  assert.deepEqual(lastLinesOf(b('\n'), 3), ['']);
  assert.deepEqual(lastLinesOf(b('x\n'), 0), []);
  assert.deepEqual(lastLinesOf(b('ünï\n'), 1), ['ünï']);
});

test("lastErrorLine: the last line that says what went wrong, not a stack frame, and how far from the end", () => {
  const node = [
    'node:internal/modules/cjs/loader:1228',
    '  throw err;',
    '  ^',
    '',
    "Error: Cannot find module 'nope'",
    'Require stack:',
    '- /srv/app/[eval]',
    '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)',
    '    at Module._load (node:internal/modules/cjs/loader:1051:27)',
    '{',
    "  code: 'MODULE_NOT_FOUND',",
    '}',
    '',
    'Node.js v20.20.2',
    '',
  ].join('\n');
  assert.deepEqual(lastErrorLine(b(node), 100), { text: "Error: Cannot find module 'nope'", after: 9 });
  assert.equal(lastErrorLine(b(node), 5), undefined, 'not within the last 5 lines');
  const python = 'Traceback (most recent call last):\n  File "w.py", line 1, in <module>\n    import nope\nModuleNotFoundError: No module named \'nope\'\n';
  assert.equal(lastErrorLine(b(python), 100)?.text, "ModuleNotFoundError: No module named 'nope'");
  const go = 'panic: runtime error: index out of range [3] with length 1\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\nexit status 2\n';
  assert.equal(lastErrorLine(b(go), 100)?.text, 'panic: runtime error: index out of range [3] with length 1');
  assert.equal(lastErrorLine(b('sh: 1: frobnicate: not found\n'), 100)?.text, 'sh: 1: frobnicate: not found');
  assert.equal(lastErrorLine(b('ready\nserving on :8080\n'), 100), undefined);
});
