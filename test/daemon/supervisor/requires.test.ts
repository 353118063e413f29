// `requires` against a real bl-daemon process and real ZeroMQ keep-alives: a task waits, with
// no process, until every worker of the task it requires has sent its first keep-alive; a
// start starts the requirements too; a stop of a required task is refused naming its
// dependents, or stops them first when asked; a cycle stops the start naming it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDaemon, programArgv, type TestDaemon } from '../../helpers/daemon.js';
import { KeepaliveSender } from '../../helpers/zmq.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, taskProcesses, waitForProcessCount, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';
import { TestProcess } from '../../helpers/test-process.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Sends a worker's keep-alive over ZeroMQ until its task shows it (PUB/SUB loses the first ones). */
async function keepalive(d: TestDaemon, sender: KeepaliveSender, task: string, pid: number): Promise<string> {
  return waitFor(`the keep-alive of ${task}[${pid}] to count`, async () => {
    await sender.send([task, JSON.stringify({ pid, taskname: task })]);
    const w = (await taskJson(d, task)).workers.find((x: { pid: number }) => x.pid === pid);
    return w?.last_alive_at ?? undefined;
  }, { interval: 100 });
}

test("a task that requires another spawns its workers only after every one of the other's workers sent its first keep-alive", async () => {
  const A = uniq('Db');
  const B = uniq('Web');
  const d = await startDaemon({
    config: {
      tasks: {
        // Listed first, it still waits: the order follows `requires`, not the file.
        [B]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0, requires: [A] },
        [A]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 60000 },
      },
    },
  });
  // Stopped, not killed: a killed daemon leaves its workers running.
  cleanups.push(async () => {
    await d.stop();
    d.cleanup();
  });
  const sender = new KeepaliveSender(d.ready.keepalive);
  cleanups.push(() => sender.close());

  const [a1, a2] = await waitForWorkers(d, A, 2);
  let b = await taskJson(d, B);
  assert.deepEqual([b.state, b.running, b.active, b.requires, b.waiting_for], ['waiting', true, 0, [A], [{ task: A, ready: 0, cardinality: 2 }]]);
  assert.match((await d.request('GET', `/tasks/${B}`)).text, new RegExp(`^State:\\twaiting$[\\s\\S]*^Waiting for:\\t${A} \\(0 of 2 workers ready\\)$`, 'm'));
  assert.deepEqual(taskProcesses(B), [], 'no worker of B before A is ready');
  assert.match((await d.request('GET', '/metrics')).text, new RegExp(`^bl_task_state\\{task="${B}",state="waiting"\\} 1$`, 'm'));
  await waitFor('the log line of the wait', () => d.err.includes(`info  ${B} waits for ${A} (0 of 2 workers ready) before its first worker`));

  await keepalive(d, sender, A, a1!);
  b = await waitFor('B to count one ready worker of A', async () => {
    const j = await taskJson(d, B);
    return j.waiting_for[0]?.ready === 1 ? j : undefined;
  });
  assert.equal(b.state, 'waiting');
  assert.deepEqual(taskProcesses(B), [], 'one of two is not enough');

  // B's workers must start after this moment: the first keep-alive of A's last worker is sent from here.
  const lastSent = Date.now();
  await keepalive(d, sender, A, a2!);
  const bPids = await waitForProcessCount(B, 2);
  b = await taskJson(d, B);
  assert.deepEqual([b.state, b.waiting_for], ['running', []]);
  for (const w of b.workers) assert.ok(Date.parse(w.started_at) >= lastSent, `B's worker ${w.pid} started at ${w.started_at}, not before A's last first keep-alive (sent from ${new Date(lastSent).toISOString()})`);
  assert.equal(bPids.length, 2);
  await waitFor('the log line of the gate opening', () => d.err.includes(`info  ${B}: ${A} ready; starting its workers`));

  // A stop of A is refused while B runs, naming B; with its dependents, B stops first.
  const refused = await d.request('POST', `/tasks/${A}/stop`);
  assert.equal(refused.status, 409);
  assert.equal(refused.text, `ERROR: task "${A}" is required by "${B}", which runs; stop it first, or stop with dependents (?with_dependents=1, console: stop ${A} --with-dependents)\n`);
  assert.equal(taskProcesses(A).length, 2, 'the refused stop stopped nothing');
  const stopped = await d.request('POST', `/tasks/${A}/stop?with_dependents=1`);
  assert.equal(stopped.text, `Stopped ${B} workers\nStopped ${A} workers\n`);
  assert.deepEqual([taskProcesses(A), taskProcesses(B)], [[], []]);
  const order = [...d.err.matchAll(new RegExp(`info  (${A}|${B}) stopped$`, 'gm'))].map((m) => m[1]);
  assert.deepEqual(order, [B, A], 'the dependent stopped first');

  // Starting B starts A first; B waits again for A's new workers.
  const started = await d.request('POST', `/tasks/${B}/start`);
  assert.equal(started.text, `Started task manager; started ${A} first (required)\n`);
  const [n1, n2] = await waitForWorkers(d, A, 2);
  assert.equal((await taskJson(d, B)).state, 'waiting');
  await keepalive(d, sender, A, n1!);
  await keepalive(d, sender, A, n2!);
  await waitForProcessCount(B, 2);

  // A stop of every task (DELETE /tasks, as a shutdown) stops dependents first too.
  const marks = d.err.length;
  await d.request('DELETE', '/tasks');
  assert.deepEqual([taskProcesses(A), taskProcesses(B)], [[], []]);
  const allOrder = [...d.err.slice(marks).matchAll(new RegExp(`info  (${A}|${B}) stopped$`, 'gm'))].map((m) => m[1]);
  assert.deepEqual(allOrder, [B, A], 'the dependent stopped first');
});

test('a task required by one with stall detection off is ready after min_uptime', async () => {
  const A = uniq('Quiet');
  const B = uniq('After');
  const d = await startDaemon({
    config: {
      tasks: {
        [A]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0, min_uptime: 1500 },
        [B]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0, requires: [A] },
      },
    },
  });
  // Stopped, not killed: a killed daemon leaves its workers running.
  cleanups.push(async () => {
    await d.stop();
    d.cleanup();
  });
  const [a] = await waitForWorkers(d, A, 1);
  await waitForProcessCount(B, 1);
  const aStarted = Date.parse((await taskJson(d, A)).workers[0].started_at);
  const bStarted = Date.parse((await taskJson(d, B)).workers[0].started_at);
  assert.ok(bStarted - aStarted >= 1500, `B started ${bStarted - aStarted} ms after A's worker ${a}, not before its min_uptime of 1500 ms`);
});

test('a cycle of requirements stops the start, naming the cycle (exit 2)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-cycle-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ port: 0, state_dir: path.join(dir, 'state'), tasks: { A: { cmd: 'sleep', args: ['1000'], requires: ['B'] }, B: { cmd: 'sleep', args: ['1000'], requires: ['A'] } } }));
  const p = new TestProcess(spawn(process.execPath, [...programArgv('daemon/main'), `-conf=${file}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
  cleanups.push(() => p.cleanup());
  const exit = await p.exited;
  assert.equal(exit.code, 2, p.err);
  assert.match(p.err, new RegExp(`error config error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: tasks\\.A\\.requires: a cycle of requirements, A → B → A: none of them could ever start`));
  assert.equal(p.out, '', 'never ready');
});
