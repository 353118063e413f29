// Why a task fails is visible: GET /tasks/T's last_exit (and its text) for a worker that exits
// 1 with a message, one that throws MODULE_NOT_FOUND, one killed with kill -9, one stalled, a
// spawn that fails; its last lines, those a child wrote after the worker went included;
// Restarts counting a failed spawn as a crash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, waitForReplacement, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

// One start and no other: the first quick death waits a minute.
const once = { stall_timeout: 0, backoff: { initial: 60000, max: 60000 } };
const T = {
  exit1: uniq('Exit1'),
  module: uniq('NoModule'),
  killed: uniq('Killed'),
  stalled: uniq('Staller'),
  missing: uniq('Missing'),
  noCwd: uniq('NoCwd'),
  crashing: uniq('Crashing'),
  quiet: uniq('Uncaptured'),
  orphan: uniq('Orphan'),
};
// Its last line goes to /dev/stderr by name (as nginx's error_log does): the pipe opens again.
const exit1 = 'for i in $(seq 1 12); do echo "line $i"; done; echo "cannot open /etc/app.conf: permission denied" > /dev/stderr; exit 1';
// A child that writes when the stop that follows its worker's exit reaches it.
const orphan = 'sh -c \'trap "echo child heard TERM; exit 0" TERM; echo child ready; while :; do sleep 0.05; done\' & sleep 0.3; echo leader leaves; exit 5';
// Both flap after 10 quick deaths in a row, then wait a minute: the counters stand still there.
const fast = { stall_timeout: 0, backoff: { initial: 10, max: 20 } };

let d: InProcessDaemon;
before(async () => {
  d = await startInProcess({
    config: {
      tasks: {
        [T.exit1]: { cmd: 'sh', args: ['-c', exit1], ...once },
        [T.module]: { cmd: process.execPath, args: ['-e', "console.log('starting'); require('bl-no-such-module')"], ...once },
        [T.killed]: { cmd: 'sh', args: ['-c', 'echo serving; exec sleep 1000'], stall_timeout: 0, min_uptime: 0 },
        [T.stalled]: { cmd: 'sh', args: ['-c', 'echo stuck; exec sleep 1000'], stall_timeout: 300, grace_period: 100, backoff: { initial: 60000, max: 60000 } },
        [T.missing]: { cmd: 'bl-no-such-command', ...fast },
        [T.noCwd]: { cmd: 'sleep', args: ['1000'], cwd: '/nonexistent/bl-test', ...once },
        [T.crashing]: { cmd: 'sh', args: ['-c', 'exit 1'], ...fast },
        [T.quiet]: { cmd: 'sh', args: ['-c', 'echo hidden; exit 4'], ...once, capture_output: false },
        [T.orphan]: { cmd: 'sh', args: ['-c', orphan], ...once },
      },
    },
  });
});
after(() => d?.cleanup());

/** The task's JSON once its last exit has every line `last` says (its pipe is read after the exit). */
function lastExit(task: string, complete: (e: any) => boolean = () => true): Promise<any> {
  return waitFor(`the last exit of ${task}`, async () => {
    const j = await taskJson(d, task);
    return j.last_exit && complete(j.last_exit) ? j : undefined;
  });
}

const startedPids = (task: string) => d.services.events.since(0).filter((e) => e.topic === 'worker.started' && e.data.task === task).map((e) => e.data.pid as number);

test('a worker that prints and exits 1: its code, the line that said why, its last 10 lines; the text shows them', async () => {
  const j = await lastExit(T.exit1, (e) => e.output.length === 10);
  const [pid] = startedPids(T.exit1);
  const e = j.last_exit;
  assert.deepEqual(
    { pid: e.pid, kind: e.kind, code: e.code, signal: e.signal, message: e.message },
    { pid, kind: 'exited', code: 1, signal: null, message: 'exited 1: cannot open /etc/app.conf: permission denied' },
  );
  assert.deepEqual(e.output, [...Array.from({ length: 9 }, (_, i) => `line ${i + 4}`), 'cannot open /etc/app.conf: permission denied']);
  assert.ok(!Number.isNaN(Date.parse(e.at)));
  assert.equal(j.state, 'backoff');
  assert.equal(j.counters.restarts, 0, 'not replaced yet: no restart');
  const text = (await d.request('GET', `/tasks/${T.exit1}`)).text;
  assert.match(text, /^Last error:\texited 1: cannot open \/etc\/app\.conf: permission denied$/m);
  const at = e.at.replace(/\.\d{3}Z$/, 'Z');
  assert.ok(text.includes(`\nLast exit:\texited 1: cannot open /etc/app.conf: permission denied at ${at} (pid ${pid})\n\tline 4\n\tline 5\n`), text);
  assert.ok(text.endsWith('\tline 12\n\tcannot open /etc/app.conf: permission denied\n'), text);
});

test('a node worker that throws MODULE_NOT_FOUND: "Last error" says which module', async () => {
  const j = await lastExit(T.module, (e) => e.output.some((l: string) => l.includes('MODULE_NOT_FOUND')));
  assert.equal(j.last_exit.kind, 'exited');
  assert.equal(j.last_exit.code, 1);
  assert.match(j.last_exit.message, /^exited 1: Error: Cannot find module 'bl-no-such-module'/);
  const text = (await d.request('GET', `/tasks/${T.module}`)).text;
  assert.match(text, /^Last error:\texited 1: Error: Cannot find module 'bl-no-such-module'/m);
  assert.match(text, /^\t  code: 'MODULE_NOT_FOUND',$/m);
});

test('a worker killed with kill -9: killed by SIGKILL, what it printed, one restart', async () => {
  const [victim] = await waitForWorkers(d, T.killed, 1);
  await waitFor('its first line in the log', async () => (await d.request('GET', `/tasks/${T.killed}/log`)).text === 'serving\n');
  process.kill(victim!, 'SIGKILL');
  await waitForReplacement(d, T.killed, victim!, 1);
  const j = await lastExit(T.killed, (e) => e.pid === victim && e.output.length === 1);
  assert.deepEqual(j.last_exit.output, ['serving']);
  assert.deepEqual([j.last_exit.kind, j.last_exit.code, j.last_exit.signal, j.last_exit.message], ['killed', null, 'SIGKILL', 'killed by SIGKILL']);
  assert.equal(j.counters.restarts, 1);
  assert.equal(j.state, 'running');
  const text = (await d.request('GET', `/tasks/${T.killed}`)).text;
  assert.match(text, new RegExp(`^Last exit:\\tkilled by SIGKILL at \\S+Z \\(pid ${victim}\\)\\n\\tserving$`, 'm'));
  assert.doesNotMatch(text, /^Last error:/m, 'running again: no error to show');
  const exited = d.services.events.since(0).find((e) => e.topic === 'worker.exited' && e.data.pid === victim)!;
  assert.equal(exited.data.message, 'killed by SIGKILL');
});

test('a stalled worker: stalled, with the signal that stopped it and its lines', async () => {
  // Each replacement stalls in turn (a stall is no quick death): any of them will do.
  const j = await lastExit(T.stalled, (e) => e.signal !== null && e.output.length === 1);
  const { pid, ...rest } = j.last_exit;
  assert.ok(startedPids(T.stalled).includes(pid), `${pid} is one of its workers`);
  assert.deepEqual(
    { kind: rest.kind, code: rest.code, signal: rest.signal, message: rest.message, output: rest.output },
    { kind: 'stalled', code: null, signal: 'SIGTERM', message: 'stalled (no keep-alive within 300 ms of its start)', output: ['stuck'] },
  );
});

test('a spawn that fails is a spawn_failed last exit with the reason, no pid, no lines', async () => {
  const missing = await lastExit(T.missing);
  assert.deepEqual(
    { ...missing.last_exit, at: undefined },
    { pid: null, kind: 'spawn_failed', code: null, signal: null, at: undefined, message: 'command not found: bl-no-such-command', output: [] },
  );
  const text = (await d.request('GET', `/tasks/${T.missing}`)).text;
  assert.match(text, /^Last error:\tcommand not found: bl-no-such-command$/m);
  assert.match(text, /^Last exit:\tnot started: command not found: bl-no-such-command at \S+Z$/m);
  const noCwd = await lastExit(T.noCwd);
  assert.equal(noCwd.last_exit.kind, 'spawn_failed');
  assert.equal(noCwd.last_exit.message, 'working directory does not exist: /nonexistent/bl-test');
});

test('Restarts: a task whose spawns fail counts as many as one whose workers crash, in the same backoff', async () => {
  // Both flap after 10 quick deaths (then retry a minute later): 10 attempts, 9 of them restarts.
  const settled = (task: string) => waitFor(`${task} to flap`, async () => {
    const j = await taskJson(d, task);
    return j.state === 'flapping' && j.active === 0 ? j : undefined;
  });
  const failing = await settled(T.missing);
  const crashing = await settled(T.crashing);
  assert.equal(failing.counters.exited_error, 10);
  assert.equal(crashing.counters.exited_error, 10);
  assert.equal(failing.counters.restarts, 9);
  assert.equal(crashing.counters.restarts, 9);
});

test('capture_output false: the last exit has no lines', async () => {
  const j = await lastExit(T.quiet);
  assert.equal(j.last_exit.message, 'exited 4');
  assert.deepEqual(j.last_exit.output, []);
});

test("a child writing after its worker went: its lines reach the log and the last exit's output", async () => {
  const j = await lastExit(T.orphan, (e) => e.output.includes('child heard TERM'));
  assert.equal(j.last_exit.message, 'exited 5');
  // (The child's shell may say "Terminated" of its sleep between the two.)
  const out: string[] = j.last_exit.output;
  assert.deepEqual([out[0], out[1], out.at(-1)], ['child ready', 'leader leaves', 'child heard TERM']);
  const [pid] = startedPids(T.orphan);
  const all = (await d.request('GET', '/tasks/log?tail=1000')).text;
  const mine = all.split('\n').filter((l) => l.startsWith(`${T.orphan} `));
  assert.deepEqual(mine, out.map((l) => `${T.orphan} ${pid} | ${l}`), 'the same lines in the interleaved log, under the worker\'s pid');
});
