// POST /config/reload: SIGHUP's work over HTTP (in-process daemon, its config file rewritten).
// Added tasks start, removed ones stop, changed ones take the file's changes, and the answer is
// the plan carried out, a line a task; a broken file is a 400 naming the field and the running
// config stays; a daemon with no file answers 409.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, taskProcesses, waitForProcessCount } from '../../helpers/tasks.js';

const daemons: InProcessDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.cleanup();
});

const sleeper = { cmd: 'sleep', args: ['1000'], stall_timeout: 0 };

test('a new file: added, removed and changed tasks, in text and JSON; a broken file keeps the running config', async () => {
  const Keep = uniq('Keep');
  const Gone = uniq('Gone');
  const Added = uniq('Added');
  const Broken = uniq('Broken');
  const d = await startInProcess({ config: { tasks: { [Keep]: { ...sleeper }, [Gone]: { ...sleeper } } } });
  daemons.push(d);
  const [keepPid] = await waitForProcessCount(Keep, 1);
  await waitForProcessCount(Gone, 1);
  const file = d.config.file!;
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  const write = (tasks: Record<string, unknown>) => writeFileSync(file, JSON.stringify({ ...raw, tasks }));

  write({ [Keep]: { ...sleeper, cardinality: 2 }, [Added]: { ...sleeper, cardinality: 2 }, [Broken]: { cmd: './not-here.sh', autostart: false } });
  const r = await d.request('POST', '/config/reload');
  assert.equal(r.status, 200, r.text);
  assert.equal(
    r.text,
    `Reloaded ${file}:\n  start ${Added} (new task)\n  add ${Broken} (new task, autostart false: not started)\n  stop ${Gone} (no longer in the file)\n  change ${Keep}: cardinality 1 → 2\n`,
  );
  await waitForProcessCount(Added, 2);
  await waitForProcessCount(Gone, 0);
  const kept = await waitForProcessCount(Keep, 2);
  assert.ok(kept.includes(keepPid!), 'the changed task kept its worker');
  assert.equal((await d.request('GET', `/tasks/${Gone}`)).status, 404);
  // The log says it, and names the added task whose command is missing.
  assert.ok(d.log.some((l) => l.includes(`info  POST /config/reload: reloaded ${file}: start ${Added} (new task); add ${Broken} (new task, autostart false: not started); stop ${Gone}`)), d.log.join('\n'));
  assert.ok(
    d.log.some((l) => l.includes(`warn  ${Broken}: command not found: ${path.join(path.dirname(file), 'not-here.sh')}; relative paths resolve against the config file's folder ${path.dirname(file)}`)),
    d.log.join('\n'),
  );
  assert.match((await d.request('GET', `/tasks/${Broken}`)).text, /^Last error:\tcommand not found: .*not-here\.sh$/m);

  // The same file again: nothing to do, said in JSON.
  assert.deepEqual(await d.api('POST', '/config/reload'), { file, start: [], add: [], stop: [], remove: [], restart: [], change: [], settings: [] });
  assert.equal((await d.request('POST', '/config/reload')).text, `Reloaded ${file}: nothing changed\n`);

  // A broken file: 400 with the file's error, the field named; the running config stays.
  write({ [Keep]: { ...sleeper, cardinality: 'two' } });
  const bad = await d.request('POST', '/config/reload');
  assert.equal(bad.status, 400);
  assert.equal(bad.text, `ERROR: config not reloaded, the running one stays: ${file}: tasks.${Keep}.cardinality: expected a number, found "two"\n`);
  const badJson = await d.request('POST', '/config/reload', undefined, { Accept: 'application/json' });
  assert.equal(badJson.json.error.code, 'bad_value');
  writeFileSync(file, '{"tasks": {');
  assert.match((await d.request('POST', '/config/reload')).text, /^ERROR: config not reloaded, the running one stays: .*not valid JSON/);
  assert.deepEqual(taskProcesses(Keep).sort(), [...kept].sort(), 'nothing was touched');
  assert.equal((await taskJson(d, Added)).cardinality, 2);
  assert.ok(d.log.some((l) => / warn  POST \/config\/reload: config not reloaded, the running one stays: .*cardinality/.test(l)));
});

test('a daemon started with no config file: 409', async () => {
  const d = await startInProcess({ adjust: (c) => (c.file = undefined) });
  daemons.push(d);
  const r = await d.request('POST', '/config/reload', undefined, { Accept: 'application/json' });
  assert.equal(r.status, 409);
  assert.deepEqual(r.json.error, { code: 'conflict', message: 'the daemon runs with no config file (it was started without -conf=FILE): there is nothing to reload' });
  assert.equal((await d.request('GET', '/config/reload')).status, 405);
});

test('POST /config/check: the plan of a reload, from the file on disk or from the body, nothing done; a broken config is a 400 naming the field', async () => {
  const Run = uniq('Run');
  const d = await startInProcess({ config: { tasks: { [Run]: { ...sleeper } } } });
  daemons.push(d);
  const [pid] = await waitForProcessCount(Run, 1);
  const file = d.config.file!;
  const raw = JSON.parse(readFileSync(file, 'utf8'));

  assert.equal((await d.request('POST', '/config/check')).text, `A reload of ${file} would change nothing\n`);
  const body = { ...raw, tasks: { [Run]: { ...sleeper, args: ['2000'] } }, broker: { concurrency: 3 } };
  const r = await d.request('POST', '/config/check', JSON.stringify(body), { Accept: 'application/json', 'Content-Type': 'application/json' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.restart, [{ task: Run, changes: [{ field: 'args', from: ['1000'], to: ['2000'] }] }]);
  assert.deepEqual(r.json.settings.map((s: { field: string; to: unknown; applied: boolean }) => [s.field, s.to, s.applied]), [['broker.concurrency', 3, true]]);
  assert.deepEqual(taskProcesses(Run), [pid], 'nothing was done');
  assert.equal((await taskJson(d, Run)).args[0], '1000');

  const bad = await d.request('POST', '/config/check', JSON.stringify({ ...raw, tasks: { [Run]: { ...sleeper, requires: ['Nobody'] } } }));
  assert.equal(bad.status, 400);
  assert.equal(bad.text, `ERROR: config not valid: ${file}: tasks.${Run}.requires: expected names of tasks, found "Nobody", which is no task\n`);
  assert.equal((await d.request('POST', '/config/check', '{"tasks": ')).status, 400);
  assert.ok(!d.log.some((l) => l.includes('reloaded')), 'a check is not a reload');
});
