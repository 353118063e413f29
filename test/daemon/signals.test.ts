// What only a bl-daemon process shows: SIGINT/SIGTERM → exit 0 and no process left; a second
// SIGINT forces; SIGHUP picks up an added task; a daemon started after a kill -9 of the one
// before stops (or adopts) the workers it left behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, repoRoot, type StartOptions, type TestDaemon } from '../helpers/daemon.js';
import { uniq } from '../helpers/uniq.js';
import { taskProcesses, waitForProcessCount, waitForReplacement, waitForWorkers, workerPids } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';
import { alive } from '../helpers/proc.js';
import { openSse } from '../helpers/sse-reader.js';

const started: TestDaemon[] = [];
async function daemon(options: StartOptions): Promise<TestDaemon> {
  const d = await startDaemon(options);
  started.push(d);
  return d;
}
async function restarted(d: TestDaemon): Promise<TestDaemon> {
  const d2 = await d.restart();
  started.push(d2);
  return d2;
}
// A test that failed half-way leaves its daemon running: stopped gracefully, with its workers.
after(async () => {
  for (const d of started) {
    if (!d.exitInfo) await d.stop();
    d.cleanup();
  }
});

test('SIGINT: graceful shutdown, exit 0, no worker left', async () => {
  const A = uniq('A');
  const B = uniq('B');
  const d = await daemon({
    config: { tasks: { [A]: { cmd: 'sleep', args: ['1000'], cardinality: 3, stall_timeout: 0 }, [B]: { cmd: 'sh', args: ['-c', 'sleep 1000 & sleep 1000'], stall_timeout: 0 } } },
  });
  await waitForProcessCount(A, 3);
  await waitForProcessCount(B, 3);
  const r = await d.stop('SIGINT');
  assert.deepEqual(r, { code: 0, signal: null });
  assert.deepEqual([...taskProcesses(A), ...taskProcesses(B)], []);
  assert.match(d.err, /stopping workers and jobs gracefully/);
  d.cleanup();
});

test('SIGTERM does the same; POST /shutdown too', async () => {
  const A = uniq('A');
  const d = await daemon({ config: { tasks: { [A]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0 } } } });
  await waitForProcessCount(A, 2);
  await waitFor('the start line, one task counted in the singular', () => /; 1 task known, 1 started; /.test(d.err));
  assert.deepEqual(await d.stop('SIGTERM'), { code: 0, signal: null });
  assert.deepEqual(taskProcesses(A), []);
  const d2 = await restarted(d);
  await waitForProcessCount(A, 2);
  const r = await d2.request('POST', '/shutdown');
  assert.equal(r.status, 202);
  assert.deepEqual(await d2.exited, { code: 0, signal: null });
  assert.deepEqual(taskProcesses(A), []);
  d2.cleanup();
});

test('a second SIGINT forces: workers ignoring SIGTERM are killed without waiting for the grace', async () => {
  const A = uniq('Stubborn');
  // A grace period no test waits out: the daemon exits only if the second SIGINT cuts it short.
  const grace = 3_600_000;
  const d = await daemon({
    config: { tasks: { [A]: { cmd: path.join(repoRoot, 'workers-examples/stubborn-worker.sh'), stall_timeout: 0, grace_period: grace } } },
  });
  const [pid] = await waitForWorkers(d, A, 1);
  await waitFor('its trap', () => d.request('GET', `/tasks/${A}/log`).then((r) => /ignoring/.test(r.text)));
  d.proc.kill('SIGINT');
  await waitFor('the first SIGINT to be taken', () => /gracefully/.test(d.err));
  assert.ok(alive(pid!), 'the worker ignored the SIGTERM of the first SIGINT');
  d.proc.kill('SIGINT');
  const r = await waitFor('the daemon to exit, its worker killed', () => d.exitInfo, { timeout: 30000 });
  assert.equal(r.code, 0);
  assert.deepEqual(taskProcesses(A), []);
  d.cleanup();
});

test('SIGHUP: an added task starts, a removed one stops, an unchanged one is not touched; a broken file keeps the old config', async () => {
  const Keep = uniq('Keep');
  const Gone = uniq('Gone');
  const Added = uniq('Added');
  const d = await daemon({
    config: { tasks: { [Keep]: { cmd: 'sleep', args: ['1000'], stall_timeout: 0 }, [Gone]: { cmd: 'sleep', args: ['1000'], stall_timeout: 0 } } },
  });
  const [keepPid] = await waitForProcessCount(Keep, 1);
  await waitForProcessCount(Gone, 1);
  const cfg = JSON.parse(readFileSync(d.configFile!, 'utf8'));
  delete cfg.tasks[Gone];
  cfg.tasks[Added] = { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0 };
  writeFileSync(d.configFile!, JSON.stringify(cfg));
  d.proc.kill('SIGHUP');
  await waitForProcessCount(Added, 2);
  await waitForProcessCount(Gone, 0);
  await waitFor('the reload said in the log', () => d.err.includes(`info  SIGHUP: reloaded ${d.configFile}: start ${Added} (new task); stop ${Gone} (no longer in the file)\n`));
  assert.deepEqual(taskProcesses(Keep), [keepPid], 'the unchanged task kept its worker');
  assert.equal((await d.request('GET', `/tasks/${Gone}`)).status, 404);
  assert.match((await d.request('GET', '/list')).text, new RegExp(Added));

  writeFileSync(d.configFile!, '{"tasks": {');
  d.proc.kill('SIGHUP');
  await waitFor('the reload error', () => / warn  SIGHUP: config not reloaded, the running one stays: .*not valid JSON/.test(d.err));
  assert.deepEqual(taskProcesses(Keep), [keepPid]);
  assert.equal((await d.stop()).code, 0);
  d.cleanup();
});

test('after kill -9 of the daemon, the next one stops the orphaned workers', async () => {
  const A = uniq('Orphan');
  const d = await daemon({ config: { tasks: { [A]: { cmd: 'sh', args: ['-c', 'sleep 1000 & sleep 1000'], cardinality: 2, stall_timeout: 0 } } } });
  const before = await waitForProcessCount(A, 6);
  await waitFor('the daemon to have both workers', async () => (await workerPids(d, A)).length === 2);
  await d.kill9();
  assert.ok(before.every(alive), 'workers outlive a kill -9 of their daemon');
  const d2 = await restarted(d);
  await waitFor('the old workers to be stopped', () => !before.some(alive));
  await waitForProcessCount(A, 6); // and new ones started
  assert.match(d2.err, /workers of an earlier daemon: 0 adopted, 2 stopped/);
  await d2.stop();
  d2.cleanup();
});

test('with adopt: true, the next daemon adopts them and counts them toward the cardinality', async () => {
  const A = uniq('Adoptee');
  const d = await daemon({ config: { tasks: { [A]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0, adopt: true } } } });
  const before = await waitForProcessCount(A, 2);
  // A worker is recorded once its spawn is confirmed, a moment after its process shows.
  await waitFor('the daemon to have both workers', async () => (await workerPids(d, A)).length === 2);
  await d.kill9();
  const d2 = await restarted(d);
  assert.match(d2.err, /2 adopted, 0 stopped/);
  const pids = await workerPids(d2, A);
  assert.deepEqual(pids.sort(), [...before].sort());
  assert.deepEqual(taskProcesses(A).sort(), [...before].sort(), 'no extra worker was started');
  const j = await d2.api('GET', `/tasks/${A}`);
  assert.deepEqual(j.workers.map((x: any) => [x.pid, x.adopted]).sort(), [...before].sort().map((p) => [p, true]), 'both listed, both adopted, no other');
  assert.equal(j.counters.stopped, 0, 'none started and stopped again');
  assert.equal(j.running, true);
  // Adopted workers are watched: one killed is replaced.
  const events = await openSse(`${d2.url}/events?last_event_id=0`);
  process.kill(before[0]!, 'SIGKILL');
  await waitForReplacement(d2, A, before[0]!, 2);
  await events.next('the exit of the killed worker', (e) => e.event === 'worker.exited' && e.data.pid === before[0]);
  await events.next('a worker started', (e) => e.event === 'worker.started' && e.data.task === A);
  const mine = events.events.filter((e) => e.data.task === A).map((e) => e.event);
  // The adoption started the task; the killed worker was the first to go, and its replacement the first spawn.
  assert.deepEqual(mine.slice(0, 3), ['task.started', 'worker.exited', 'worker.started'], mine.join(', '));
  events.close();
  await d2.stop();
  assert.deepEqual(taskProcesses(A), []);
  d2.cleanup();
});
