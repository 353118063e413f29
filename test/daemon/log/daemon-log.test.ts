// The daemon's log as its operator meets it: the terminal (stderr) of a bl-daemon process and
// state_dir/bl-daemon.log, while a worker crash-loops, a worker is killed with kill -9, a
// task's command is missing, jobs fail; and the --log-json form.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, type StartOptions, type TestDaemon } from '../../helpers/daemon.js';
import { uniq } from '../../helpers/uniq.js';
import { waitForWorkers, waitForReplacement } from '../../helpers/tasks.js';
import { submit, waitState } from '../../helpers/jobs.js';
import { waitFor } from '../../helpers/wait.js';

const started: TestDaemon[] = [];
async function daemon(options: StartOptions): Promise<TestDaemon> {
  const d = await startDaemon(options);
  started.push(d);
  return d;
}
after(async () => {
  for (const d of started) {
    if (!d.exitInfo) await d.stop();
    d.cleanup();
  }
});

const TIME = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The first stderr line matching `re` (after the time and level), waited for. */
function line(d: TestDaemon, level: string, re: string): Promise<RegExpExecArray> {
  const full = new RegExp(`^${TIME} ${level.padEnd(5)} ${re}$`, 'm');
  return waitFor(`a log line /${re}/ at ${level}`, () => full.exec(d.err), { timeout: 15000 });
}

test('the terminal says each exit: task, pid, code or signal, and what follows; a missing command at once', async () => {
  const Crash = uniq('Crash');
  const Steady = uniq('Steady');
  const Missing = uniq('Missing');
  const Defined = uniq('Defined');
  const Staller = uniq('Staller');
  const d = await daemon({
    config: {
      tasks: {
        [Crash]: { cmd: 'sh', args: ['-c', 'exit 3'], stall_timeout: 0, backoff: { initial: 100, max: 400 } },
        // min_uptime 0: a worker killed at any age was up long enough to be replaced at once.
        [Steady]: { cmd: 'sleep', args: ['1000'], stall_timeout: 0, min_uptime: 0 },
        // A backoff that outlasts the test: the task stays in it after its first failed spawn.
        [Missing]: { cmd: './missing-worker.sh', stall_timeout: 0, backoff: { initial: 600_000, max: 600_000 } },
        [Defined]: { cmd: 'node', args: ['../no-such-dir/worker.mjs'], autostart: false },
        // sleep sends no keep-alives: stalled again and again.
        [Staller]: { cmd: 'sleep', args: ['1000'], stall_timeout: 300 },
      },
    },
  });

  // Said at start, for the autostarted task and the one only defined alike, with the folder
  // relative paths went from.
  const folder = esc(path.dirname(d.configFile!));
  await line(d, 'warn', `${Missing}: command not found: ${esc(path.join(d.dir, 'missing-worker.sh'))}; relative paths resolve against the config file's folder ${folder}`);
  await line(d, 'warn', `${Defined}: script not found: ${esc(path.resolve(d.dir, '../no-such-dir/worker.mjs'))} \\(an argument of node\\); relative paths resolve against the config file's folder ${folder}`);
  await line(d, 'warn', `${Missing}: cannot start a worker: command not found: .*; retrying in 10 min \\(backoff: 1 failure in a row\\)`);
  // …and GET /tasks/T says why, the task only defined included.
  assert.match((await d.request('GET', `/tasks/${Defined}`)).text, /^Last error:\tscript not found: .*no-such-dir\/worker\.mjs/m);
  assert.match((await d.request('GET', `/tasks/${Missing}`)).text, /^Last error:\tcommand not found: .*missing-worker\.sh/m);

  // A crash loop: each exit with its pid and code, the backoff doubling.
  const first = await line(d, 'warn', `${Crash}\\[(\\d+)\\] exited with code 3 after \\d+ ms; restarting in 100 ms \\(backoff: 1 quick death in a row\\)`);
  const second = await line(d, 'warn', `${Crash}\\[(\\d+)\\] exited with code 3 after \\d+ ms; restarting in 200 ms \\(backoff: 2 quick deaths in a row\\)`);
  await line(d, 'warn', `${Crash}\\[\\d+\\] exited with code 3 after \\d+ ms; restarting in 400 ms \\(backoff: 3 quick deaths in a row\\)`);
  assert.notEqual(first[1], second[1]);
  for (const pid of [first[1], second[1]]) assert.match(d.err, new RegExp(`^${TIME} info  ${Crash}\\[${pid}\\] started$`, 'm'), 'the pid of the exit is the one that started');

  // kill -9 of a worker: the signal, a restart at once, the new pid.
  const [victim] = await waitForWorkers(d, Steady, 1);
  process.kill(victim!, 'SIGKILL');
  const [replacement] = await waitForReplacement(d, Steady, victim!, 1);
  await line(d, 'warn', `${Steady}\\[${victim}\\] killed by SIGKILL after [\\d.]+ (ms|s|min); restarting now`);
  await line(d, 'info', `${Steady}\\[${replacement}\\] started`);

  // A stall: said as it is found, then the stalled worker's end, on purpose.
  const stall = await line(d, 'warn', `${Staller}\\[(\\d+)\\] stalled \\(no keep-alive since it started\\); stopping it and starting a replacement`);
  await line(d, 'info', `${Staller}\\[${stall[1]}\\] killed by SIGTERM after [\\d.]+ (ms|s); stopped on purpose \\(it stalled\\)`);

  // Jobs: a failure is a warn line with its state and reason; a success says nothing at info.
  const [ok] = await submit(d, { command: 'true', cwd: d.dir });
  await waitState(d, ok!.id, 'succeeded');
  const [bad] = await submit(d, { command: 'exit 2', cwd: d.dir });
  await line(d, 'warn', `job ${bad!.id} failed: exited with code 2`);
  assert.doesNotMatch(d.err, new RegExp(ok!.id));

  // The same lines are in the log file, and a graceful stop ends it.
  assert.equal((await d.stop()).code, 0);
  const file = readFileSync(path.join(d.dir, 'state', 'bl-daemon.log'), 'utf8');
  for (const l of [first[0], second[0], `${Steady}[${victim}] killed by SIGKILL`, `job ${bad!.id} failed`, 'listening on']) assert.ok(file.includes(l), l);
  assert.match(file, new RegExp(`${TIME} info  stopped\\n$`));
});

test('--log-json: every line a JSON object with its event fields; --log-level=debug adds job successes', async () => {
  const Crash = uniq('Crash');
  const d = await daemon({
    config: { tasks: { [Crash]: { cmd: 'sh', args: ['-c', 'exit 5'], stall_timeout: 0 } } },
    args: ['--log-json', '--log-level=debug'],
  });
  const [ok] = await submit(d, { command: 'true', cwd: d.dir });
  const entries = () =>
    d.err
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, any>;
        } catch {
          assert.fail(`a stderr line that is not JSON: ${l}\nall of stderr:\n${d.err}`);
        }
      });
  const exit = await waitFor('a worker.exited entry', () => entries().find((e) => e.event === 'worker.exited' && e.task === Crash));
  assert.equal(exit.level, 'warn');
  assert.equal(typeof exit.pid, 'number');
  assert.deepEqual([exit.code, exit.signal, exit.reason, exit.next, exit.delay_ms, exit.failures], [5, null, 'crashed', 'backoff', 100, 1]);
  assert.match(exit.msg, new RegExp(`^${Crash}\\[${exit.pid}\\] exited with code 5 after \\d+ ms; restarting in 100 ms`));
  assert.ok(!Number.isNaN(Date.parse(exit.time)));
  const done = await waitFor('the job success at debug', () => entries().find((e) => e.event === 'job.finished' && e.id === ok!.id));
  assert.deepEqual([done.level, done.state, done.msg], ['debug', 'succeeded', `job ${ok!.id} succeeded`]);
  assert.ok(entries().some((e) => e.level === 'info' && /^listening on /.test(e.msg)));
  await d.stop();
  assert.ok(entries().every((e) => typeof e.time === 'string' && typeof e.level === 'string' && typeof e.msg === 'string'));
});

test('--log-level=warn: only warnings and errors', async () => {
  const Crash = uniq('Crash');
  const d = await daemon({ config: { tasks: { [Crash]: { cmd: 'sh', args: ['-c', 'exit 1'], stall_timeout: 0 } } }, args: ['--log-level', 'warn'] });
  await line(d, 'warn', `${Crash}\\[\\d+\\] exited with code 1 .*`);
  await d.stop();
  const levels = new Set(d.err.split('\n').filter(Boolean).map((l) => l.split(' ')[1]));
  assert.deepEqual([...levels], ['warn']);
});
