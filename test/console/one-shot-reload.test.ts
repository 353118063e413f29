// `reload --dry-run` and `reload` from the console against a real in-process daemon whose
// config file changed: the dry run prints the plan and touches nothing; the reload carries it
// out and prints it the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { uniq } from '../helpers/uniq.js';
import { taskJson, waitForWorkers } from '../helpers/tasks.js';
import { runConsole } from './run-console.js';

const T = uniq('Svc');
const N = uniq('New');
let d: InProcessDaemon;
const confDir = mkdtempSync(path.join(tmpdir(), 'bl-reload-conf-'));
before(async () => {
  d = await startInProcess({ config: { tasks: { [T]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } } } });
});
after(async () => {
  await d.cleanup();
  rmSync(confDir, { recursive: true, force: true });
});

const run = (line: string) => runConsole([`-host=${d.url}`, '-c', line], { confDir });

test('reload --dry-run prints what a reload would do and does nothing; reload does it', async () => {
  const [pid] = await waitForWorkers(d, T, 1);
  const file = d.config.file!;
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  raw.tasks[T].cardinality = 3;
  raw.tasks[N] = { cmd: 'sleep', args: ['1000'], autostart: false };
  writeFileSync(file, JSON.stringify(raw));

  const dry = await run('reload --dry-run');
  assert.equal(dry.code, 0, dry.err);
  assert.equal(dry.out, `A reload of ${file} would:\n  add ${N} (new task, autostart false: not started)\n  change ${T}: cardinality 1 → 3\n`);
  assert.equal((await taskJson(d, T)).cardinality, 1, 'the dry run changed nothing');
  assert.equal((await d.request('GET', `/tasks/${N}`)).status, 404);

  const json = JSON.parse((await runConsole([`-host=${d.url}`, '--json', '-c', 'reload --dry-run'], { confDir })).out);
  assert.deepEqual(json.change, [{ task: T, changes: [{ field: 'cardinality', from: 1, to: 3 }] }]);

  const bad = await run('reload --now');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /usage: reload \[--dry-run\]/);

  const done = await run('reload');
  assert.equal(done.code, 0, done.err);
  assert.equal(done.out, `Reloaded ${file}:\n  add ${N} (new task, autostart false: not started)\n  change ${T}: cardinality 1 → 3\n`);
  const pids = await waitForWorkers(d, T, 3);
  assert.ok(pids.includes(pid!), 'rescaled, not restarted');
  assert.equal((await run('reload --dry-run')).out, `A reload of ${file} would change nothing\n`);
});
