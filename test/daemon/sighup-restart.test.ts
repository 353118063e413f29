// SIGHUP against a real bl-daemon process: a task whose definition changed (its args) is
// restarted, once, worker by worker; a task that did not change keeps its workers; a
// cardinality alone rescales without a restart. The daemon's log and the `config.reloaded`
// event (ZeroMQ PUB) carry the plan. `bl-daemon --check` prints what the same SIGHUP would do.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { programArgv, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TestProcess } from '../helpers/test-process.js';
import { EventWatcher } from '../helpers/zmq.js';
import { uniq } from '../helpers/uniq.js';
import { taskJson, taskProcesses, waitForProcessCount, waitForWorkers } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const argsOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, -1);

test('SIGHUP restarts exactly the task whose args changed, once; the other keeps its pids; the log and the event say so', async () => {
  const Changed = uniq('Changed');
  const Kept = uniq('Kept');
  const Scaled = uniq('Scaled');
  const sleeper = (arg: string, cardinality: number) => ({ cmd: 'sleep', args: [arg], cardinality, stall_timeout: 0, min_uptime: 200 });
  const d: TestDaemon = await startDaemon({ config: { tasks: { [Changed]: sleeper('1000', 2), [Kept]: sleeper('1000', 2), [Scaled]: sleeper('1000', 1) } } });
  cleanups.push(async () => {
    if (!d.exitInfo) await d.stop();
    d.cleanup();
  });
  const events = new EventWatcher(d.ready.events);
  cleanups.push(() => events.close());
  const oldChanged = (await waitForWorkers(d, Changed, 2)).sort();
  const oldKept = (await waitForWorkers(d, Kept, 2)).sort();
  const [oldScaled] = await waitForWorkers(d, Scaled, 1);
  // The PUB drops what comes before the subscription: wait until it hears the daemon (a
  // cardinality set to what it is says task.scaled and changes nothing).
  await waitFor('the event subscription', async () => {
    await d.request('POST', `/tasks/${Kept}/set/cardinality/2`);
    return events.got.some((e) => e.topic === 'task.scaled');
  }, { interval: 200 });

  const cfg = JSON.parse(readFileSync(d.configFile!, 'utf8'));
  cfg.tasks[Changed].args = ['2000'];
  cfg.tasks[Scaled].cardinality = 2;
  writeFileSync(d.configFile!, JSON.stringify(cfg));
  d.proc.kill('SIGHUP');

  const line = `info  SIGHUP: reloaded ${d.configFile}: restart ${Changed}: args ["1000"] → ["2000"]; change ${Scaled}: cardinality 1 → 2\n`;
  await waitFor('the reload in the log', () => d.err.includes(line), { timeout: 20000 });
  const ev = await waitFor('the config.reloaded event', () => events.got.find((e) => e.topic === 'config.reloaded'));
  const plan = JSON.parse(ev.body);
  assert.deepEqual([plan.trigger, plan.file], ['SIGHUP', d.configFile]);
  assert.deepEqual(plan.restart, [{ task: Changed, changes: [{ field: 'args', from: ['1000'], to: ['2000'] }] }]);
  assert.deepEqual(plan.change, [{ task: Scaled, changes: [{ field: 'cardinality', from: 1, to: 2 }] }]);
  assert.deepEqual([plan.start, plan.stop, plan.settings], [[], [], []]);

  // Every worker of the changed task replaced by one running the new args; the others untouched.
  const fresh = await waitFor(`${Changed}'s workers all replaced`, async () => {
    const pids = taskProcesses(Changed);
    return pids.length === 2 && pids.every((p) => !oldChanged.includes(p)) && (await taskJson(d, Changed)).workers.length === 2 ? pids : undefined;
  }, { timeout: 20000 });
  assert.deepEqual(fresh.map(argsOf), [['2000'], ['2000']]);
  await waitFor('the rolling restart to end', () => events.got.some((e) => e.topic === 'task.restarted' && JSON.parse(e.body).task === Changed));
  assert.deepEqual(taskProcesses(Kept).sort(), oldKept, 'the unchanged task kept its workers');
  const scaled = await waitForProcessCount(Scaled, 2);
  assert.ok(scaled.includes(oldScaled!), 'a cardinality alone rescales: the running worker stays');
  const restarts = events.got.filter((e) => e.topic === 'task.restarting').map((e) => JSON.parse(e.body).task);
  assert.deepEqual(restarts, [Changed], 'one restart, of the changed task only');

  // The same file again: nothing to do, nothing restarted.
  d.proc.kill('SIGHUP');
  await waitFor('the second reload in the log', () => d.err.includes(`info  SIGHUP: reloaded ${d.configFile}: nothing changed\n`));
  assert.deepEqual(taskProcesses(Changed).sort(), fresh.sort());
});

/** Runs `bl-daemon ARGS` to its exit. */
async function blDaemon(args: string[], cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  const p = new TestProcess(spawn(process.execPath, [...programArgv('daemon/main'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  cleanups.push(() => p.cleanup());
  const { code } = await p.exited;
  return { code, out: p.out, err: p.err };
}

test('bl-daemon --check: alone, the tasks a valid file defines in start order (exit 0), or the field that is wrong (exit 2)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-check-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bl.json');
  writeFileSync(file, JSON.stringify({ tasks: { Web: { cmd: 'node', args: ['web.js'], cardinality: 4, requires: ['Db'] }, Db: { cmd: 'sleep', args: ['1000'] }, Tool: { cmd: 'true', autostart: false } } }));
  const ok = await blDaemon(['--check', `-conf=${file}`], dir);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(
    ok.out,
    `${file}: valid; 3 tasks, in the order they start:\n  Db    sleep 1000  (1 worker, autostart)\n  Web   node web.js  (4 workers, autostart, requires Db)\n  Tool  true  (1 worker, defined only)\n`,
  );
  writeFileSync(file, JSON.stringify({ tasks: { Web: { cmd: 'node', requires: ['Db'] }, Db: { cmd: 'sleep', requires: ['Web'] } } }));
  const bad = await blDaemon(['--check', `-conf=${file}`], dir);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, `bl-daemon: config not valid: ${file}: tasks.Web.requires: a cycle of requirements, Web → Db → Web: none of them could ever start\n`);
  assert.equal(bad.out, '');
});

test('bl-daemon --check -host: what a SIGHUP of that daemon would do with the file, nothing done', async () => {
  const T = uniq('Svc');
  const d: TestDaemon = await startDaemon({ config: { tasks: { [T]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } } } });
  cleanups.push(async () => {
    if (!d.exitInfo) await d.stop();
    d.cleanup();
  });
  const [pid] = await waitForWorkers(d, T, 1);
  const cfg = JSON.parse(readFileSync(d.configFile!, 'utf8'));
  cfg.tasks[T].args = ['2000'];
  cfg.broker = { concurrency: 7 };
  const edited = path.join(d.dir, 'edited.json');
  writeFileSync(edited, JSON.stringify(cfg));

  const r = await blDaemon(['--check', `-conf=${edited}`, `-host=${d.url}`], d.dir);
  assert.equal(r.code, 0, r.err);
  // The body stands for the daemon's own file: the plan names it.
  assert.equal(r.out, `A reload of ${d.configFile} would:\n  restart ${T}: args ["1000"] → ["2000"]\n  set broker.concurrency ${(await d.api('GET', '/broker')).concurrency} → 7\n`);
  const own = await blDaemon(['--check', `-host=${d.url}`], d.dir);
  assert.equal(own.out, `A reload of ${d.configFile} would change nothing\n`);
  assert.deepEqual(taskProcesses(T), [pid], 'nothing was done');

  cfg.tasks[T].cardinality = 'two';
  writeFileSync(edited, JSON.stringify(cfg));
  const bad = await blDaemon(['--check', `-conf=${edited}`, `-host=${d.url}`], d.dir);
  assert.equal(bad.code, 2);
  assert.match(bad.err, new RegExp(`answered 400: config not valid: .*tasks\\.${T}\\.cardinality: expected a number, found "two"`));
});
