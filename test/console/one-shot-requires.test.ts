// The console with tasks that require others (a real in-process daemon): a waiting task says
// what it waits for in `ls` and `status T`; `stop T` of a required task shows the daemon's
// refusal, `stop T --with-dependents` stops the dependents first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { uniq } from '../helpers/uniq.js';
import { taskProcesses, waitForProcessCount } from '../helpers/tasks.js';
import { runConsole } from './run-console.js';

const A = uniq('Db');
const B = uniq('Web');
let d: InProcessDaemon;
const confDir = mkdtempSync(path.join(tmpdir(), 'bl-requires-conf-'));
before(async () => {
  // A sends no keep-alive and stall detection is on: it is never ready, B waits.
  d = await startInProcess({
    config: {
      tasks: {
        [A]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 600000 },
        [B]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0, requires: [A] },
      },
    },
  });
});
after(async () => {
  await d.cleanup();
  rmSync(confDir, { recursive: true, force: true });
});

const run = (line: string) => runConsole([`-host=${d.url}`, '-c', line], { confDir });

test('ls and status T show a waiting task and what it waits for', async () => {
  await waitForProcessCount(A, 1);
  const ls = await run('ls');
  assert.equal(ls.code, 0, ls.err);
  assert.match(ls.out, new RegExp(`^${B} +waiting +0/2 .*waiting for ${A} \\(0 of 1 worker ready\\)$`, 'm'));
  const st = await run(`status ${B}`);
  assert.match(st.out, /^State: +waiting$/m);
  assert.match(st.out, new RegExp(`^Requires: +${A}$`, 'm'));
  assert.match(st.out, new RegExp(`^Waiting for: +${A} \\(0 of 1 worker ready\\)$`, 'm'));
  assert.deepEqual(taskProcesses(B), []);
});

test('stop of a required task: refused naming the dependent; --with-dependents stops both, the dependent first', async () => {
  const refused = await run(`stop ${A}`);
  assert.equal(refused.code, 1);
  assert.match(refused.err, new RegExp(`task "${A}" is required by "${B}", which runs; stop it first`));
  assert.equal(taskProcesses(A).length, 1);
  const both = await run(`stop ${A} --with-dependents`);
  assert.equal(both.code, 0, both.err);
  assert.equal(both.out, `Stopped ${B} workers\nStopped ${A} workers\n`);
  assert.deepEqual(taskProcesses(A), []);
});
