// The store's memory of run-time task changes, with the broker's rule: a value set at run time
// is kept across restarts until the config file's value for that field changes. Real SQLite
// in a temp dir; each "restart" opens the file again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDb } from '../../../daemon/state/db.js';
import { TaskSettings, keptValue } from '../../../daemon/supervisor/task-settings.js';
import type { TaskSpec } from '../../../daemon/config/types.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function spec(name: string, over: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name, cmd: '/bin/true', args: [], cwd: '/', env: {}, cardinality: 2, autostart: true,
    stallTimeout: 1000, gracePeriod: 100, minUptime: 1000, backoffInitial: 100, backoffMax: 30000,
    captureOutput: false, adopt: false, requires: [], source: 'tasks', ...over,
  };
}

/** A store that is opened anew at each call, as a restarted daemon opens it. */
function store() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-settings-'));
  dirs.push(dir);
  return <T>(use: (s: TaskSettings) => T): T => {
    const db = openDb(dir);
    try {
      return use(new TaskSettings(db));
    } finally {
      db.close();
    }
  };
}

test('the rule, pure: no row → the file; a row set under the file value now in force → kept; else the file, and the row is stale', () => {
  assert.deepEqual(keptValue(undefined, 2), { value: 2, stale: false });
  assert.deepEqual(keptValue({ value: '4', config: '2' }, 2), { value: 4, stale: false });
  assert.deepEqual(keptValue({ value: '4', config: '2' }, 3), { value: 3, stale: true });
  assert.deepEqual(keptValue({ value: 'false', config: 'true' }, true), { value: false, stale: false });
});

test('run-time values survive a reopen; a field the file changed since takes the file value, the others stay', () => {
  const open = store();
  const A = spec('A');
  open((s) => {
    s.set(A, 'cardinality', 4);
    s.set(A, 'grace_period', 700);
    s.set(A, 'running', false);
  });
  assert.deepEqual(
    open((s) => [s.apply(A).cardinality, s.apply(A).gracePeriod, s.apply(A).stallTimeout, s.value(A, 'running')]),
    [4, 700, 1000, false],
  );
  // The file's cardinality goes from 2 to 3: the file wins for that field only.
  const edited = spec('A', { cardinality: 3 });
  open((s) => s.sync(new Map([['A', edited]])));
  assert.deepEqual(open((s) => [s.apply(edited).cardinality, s.apply(edited).gracePeriod, s.value(edited, 'running')]), [3, 700, false]);
  // And back to 2 in the file: the run-time 4 is gone for good (it was dropped, not hidden).
  assert.equal(open((s) => s.apply(A).cardinality), 2);
});

test('a value set back to the file value leaves no row; a task the config no longer has is forgotten', () => {
  const open = store();
  const A = spec('A', { autostart: false });
  const B = spec('B');
  open((s) => {
    s.set(A, 'running', true);
    s.set(B, 'cardinality', 5);
    s.set(B, 'cardinality', 2); // the file's value again
  });
  assert.deepEqual(open((s) => [s.value(A, 'running'), s.apply(B).cardinality]), [true, 2]);
  open((s) => s.sync(new Map([['B', B]])));
  assert.equal(open((s) => s.value(A, 'running')), false, 'A left the config and came back: its run-time start is forgotten');
});
