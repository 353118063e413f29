// Must show 3: kill -9 of a worker → replaced; SIGSTOP of a worker → found stalled, killed,
// replaced, counted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { EventWatcher } from '../../helpers/zmq.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, waitForProcessCount, waitForReplacement, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';
import { alive } from '../../helpers/proc.js';

const daemons: TestDaemon[] = [];
after(async () => {
  for (const d of daemons) {
    await d.stop();
    d.cleanup();
  }
});

async function daemon(tasks: Record<string, unknown>): Promise<TestDaemon> {
  const d = await startDaemon({ config: { tasks } });
  daemons.push(d);
  return d;
}

test('a worker killed with SIGKILL is replaced', async () => {
  const T = uniq('Crashy');
  const d = await daemon({ [T]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0, min_uptime: 200 } });
  const [victim, other] = await waitForProcessCount(T, 2);
  await waitFor('workers past min_uptime', async () => (await taskJson(d, T)).state === 'running' && Date.now());
  process.kill(victim!, 'SIGKILL');
  const now = await waitForReplacement(d, T, victim!, 2);
  assert.ok(now.includes(other!));
  const j = await taskJson(d, T);
  assert.equal(j.counters.exited_error, 1);
  assert.equal(j.dead, 1);
  assert.equal(j.counters.restarts, 1);
  await d.stop();
});

test('a SIGSTOPped worker is found stalled, killed, replaced and counted', async () => {
  const T = uniq('Staller');
  // A worker that sends keep-alives over HTTP every 100 ms; frozen by SIGSTOP it sends none.
  const script = 'while :; do curl -s -o /dev/null -X POST "$BL_KEEPALIVE_URL"; sleep 0.1; done';
  const d = await daemon({ [T]: { cmd: 'sh', args: ['-c', script], cardinality: 1, stall_timeout: 1000, grace_period: 200 } });
  const watcher = new EventWatcher(d.ready.events);
  const [worker] = await waitForWorkers(d, T, 1);
  await waitFor('a keep-alive', async () => (await taskJson(d, T)).last_alive_at);
  process.kill(worker, 'SIGSTOP');
  const stoppedAt = Date.now();
  await waitForReplacement(d, T, worker, 1);
  await waitFor('the frozen worker to be gone', () => !alive(worker));
  const j = await taskJson(d, T);
  assert.equal(j.counters.stalled, 1);
  assert.equal(j.dead, 1);
  const text = (await d.request('GET', `/tasks/${T}`)).text;
  assert.match(text, /^Stalled Workers:\t1$/m);
  await waitFor('a worker.stalled event on the PUB', () => watcher.got.some((e) => e.topic === 'worker.stalled' && JSON.parse(e.body).pid === worker));
  // Found within stall_timeout + a little (not the seed's timeout/2 ticks); generous bound
  // for a loaded CI machine — the exact figure is measured by bench/supervisor.
  assert.ok(Date.now() - stoppedAt < 5000);
  await watcher.close();
});
