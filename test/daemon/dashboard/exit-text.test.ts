// The line a failing task's card shows: the daemon's message and the output line that says
// why, found among the last lines a worker printed (Node's, Python's, a shell's).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitSummary, tellingLine } from '../../../daemon/dashboard/exit-text.js';

const exit = (output: string[], message = 'exited 1') => ({ pid: 1, kind: 'exited' as const, code: 1, signal: null, at: '2026-01-01T00:00:00Z', message, output });

test("Node's missing module: the Error line, not the stack or the version footer", () => {
  const node = [
    "Error: Cannot find module '/srv/app.js'",
    '    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)',
    '    at node:internal/main/run_main_module:28:49 {',
    "  code: 'MODULE_NOT_FOUND',",
    '  requireStack: []',
    '}',
    '',
    'Node.js v20.19.2',
  ];
  assert.equal(exitSummary(exit(node)), "exited 1 — Error: Cannot find module '/srv/app.js'");
});

test("Python's traceback: its last line", () => {
  const py = ['Traceback (most recent call last):', '  File "/srv/w.py", line 3, in <module>', '    import zmqq', "ModuleNotFoundError: No module named 'zmqq'"];
  assert.equal(tellingLine(py), "ModuleNotFoundError: No module named 'zmqq'");
});

test('no telling word: the last line that is not noise; nothing printed: the message alone', () => {
  assert.equal(tellingLine(['starting', 'giving up on config x', '']), 'giving up on config x');
  assert.equal(exitSummary(exit([], 'killed by SIGKILL')), 'killed by SIGKILL');
  assert.equal(tellingLine(['x'.repeat(300)])!.length, 160, 'a long line is cut');
});
