// A worker adopted after a kill -9 of its daemon: the next daemon reads its output again (its
// stdout is the pipe the first one read, opened again through /proc), under its pid in
// tasks.log, samples its usage, and reports its exit as a fresh worker's (the event, the last
// exit with its last lines), saying its exit code is unknown: only its parent could read it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

const started: TestDaemon[] = [];
after(async () => {
  for (const d of started) {
    if (!d.exitInfo) await d.stop();
    d.cleanup();
  }
});

test("an adopted worker's output is read again by the next daemon", async () => {
  const A = uniq('Adoptee');
  // It writes only when told (SIGUSR1): nothing while no daemon reads its pipe.
  const script = 'trap "echo got USR1" USR1; echo started; while :; do sleep 0.1; done';
  const d = await startDaemon({ config: { tasks: { [A]: { cmd: 'sh', args: ['-c', script], stall_timeout: 0, adopt: true } } } });
  started.push(d);
  const [pid] = await waitForWorkers(d, A, 1);
  await waitFor('its first line', async () => (await d.request('GET', `/tasks/${A}/log`)).text === 'started\n');
  await d.kill9();
  const d2 = await d.restart();
  started.push(d2);
  assert.deepEqual(await waitForWorkers(d2, A, 1), [pid], 'adopted');
  const w = await waitFor('a usage sample of the adopted worker', async () => (await taskJson(d2, A)).workers.find((x: { pid: number; usage: unknown }) => x.pid === pid && x.usage), { timeout: 30000 });
  assert.equal(w.adopted, true);
  assert.ok(w.usage.rss_bytes > 0, JSON.stringify(w));
  process.kill(pid!, 'SIGUSR1');
  await waitFor('the line it wrote after the adoption', async () => (await d2.request('GET', `/tasks/${A}/log`)).text === 'started\ngot USR1\n');
  assert.match((await d2.request('GET', '/tasks/log?tail=10')).text, new RegExp(`^${A} ${pid} \\| got USR1$`, 'm'));
  process.kill(pid!, 'SIGKILL');
  const j = await waitFor('its last exit', async () => {
    const t = await taskJson(d2, A);
    return t.last_exit?.pid === pid ? t : undefined;
  });
  // Not a child of this daemon: how it ended is not to be known, what it said is.
  assert.deepEqual(
    [j.last_exit.kind, j.last_exit.code, j.last_exit.signal, j.last_exit.message, j.last_exit.output],
    ['exited', null, null, 'exited, exit code unknown (adopted)', ['got USR1']],
  );
  // Its exit is an event like a fresh worker's, in the daemon's log.
  await waitFor('the exit in the log', () => d2.err.includes(`${A}[${pid}] exited, exit code unknown (adopted) after `));
});
