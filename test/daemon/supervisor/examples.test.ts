// Every example worker runs here: the Node (zeromq), Python (python3-zmq) and shell (curl)
// workers keep a task alive past its stall_timeout with their keep-alives and stop cleanly on
// SIGTERM (they exit 0 by themselves, no SIGKILL); the stalling one is found stalled and replaced.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, taskProcesses, waitForReplacement, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

const ex = (f: string) => path.join(repoRoot, 'workers-examples', f);
const N = uniq('NodeW');
const P = uniq('PyW');
const S = uniq('ShW');
const X = uniq('StallW');
let d: InProcessDaemon | undefined;
after(() => d?.cleanup());

test('the example workers keep their tasks alive and stop cleanly', async () => {
  const stall = 1500;
  const xStall = 1000;
  const fast = { BL_KEEPALIVE_MS: '200' };
  const dm = (d = await startInProcess({
    config: {
      keepalives: { stall_timeout: stall, grace_period: 3000 },
      tasks: {
        [N]: { cmd: 'node', args: [ex('node-worker.mjs')], cardinality: 2, env: fast },
        [P]: { cmd: ex('python-worker.py'), cardinality: 1, env: fast },
        [S]: { cmd: ex('shell-worker.sh'), cardinality: 1, env: fast },
        [X]: { cmd: 'node', args: [ex('stalling-worker.mjs')], cardinality: 1, stall_timeout: xStall, env: { BL_STALL_AFTER_MS: '500' } },
      },
    },
  }));
  const events = () => dm.services.events.since(0);
  const cardinality = { [N]: 2, [P]: 1, [S]: 1 };
  const first: Record<string, number[]> = {};
  for (const t of [N, P, S]) first[t] = (await waitForWorkers(dm, t, cardinality[t]!)).sort();

  // Each worker lives on past two stall timeouts, kept alive by its keep-alives: one came
  // more than 2 × stall_timeout after its start, and it is still the worker it was.
  for (const t of [N, P, S]) {
    await waitFor(`every ${t} worker kept alive past two stall timeouts`, async () => {
      const ws = (await dm.api('GET', `/tasks/${t}/list`)).workers as { started_at: string; last_alive_at: string | null }[];
      return ws.length === cardinality[t] && ws.every((w) => w.last_alive_at && Date.parse(w.last_alive_at) - Date.parse(w.started_at) > 2 * stall);
    }, { timeout: 20000 });
    const j = await taskJson(dm, t);
    assert.equal(j.counters.stalled, 0, `${t} was never stalled`);
    assert.equal(j.active, j.cardinality, `${t} has all its workers`);
    assert.deepEqual(j.workers.map((w: { pid: number }) => w.pid).sort(), first[t], `${t} kept its first workers`);
  }
  const nodeList = (await dm.api('GET', `/tasks/${N}/list`)).workers;
  assert.match(nodeList[0].info, /units done/);

  // The staller stops sending after 500 ms: found stalled no sooner than stall_timeout after
  // its last keep-alive, then replaced.
  const [staller] = await waitForWorkers(dm, X, 1);
  const stalled = await waitFor('the stalling worker to be found stalled', () =>
    events().find((e) => e.topic === 'worker.stalled' && e.data.task === X && e.data.pid === staller),
  );
  const lastAlive = stalled.data.last_alive_at as number | null;
  assert.ok(lastAlive !== null, 'it sent keep-alives before it stalled');
  assert.ok(stalled.time - lastAlive >= xStall, `stalled ${stalled.time - lastAlive} ms after its last keep-alive, not before ${xStall}`);
  await waitForReplacement(dm, X, staller!, 1);

  // SIGTERM handlers: each worker exits by itself with code 0; no SIGKILL was needed.
  for (const t of [N, P, S]) {
    const r = await dm.request('POST', `/tasks/${t}/stop`);
    assert.equal(r.status, 200);
    assert.deepEqual(taskProcesses(t), []);
    const exits = events().filter((e) => e.topic === 'worker.exited' && e.data.task === t);
    assert.deepEqual(
      exits.map((e) => [e.data.pid, e.data.reason, e.data.code, e.data.signal]).sort(),
      first[t]!.map((pid) => [pid, 'stop', 0, null]),
      `${t}'s workers exited by themselves on SIGTERM`,
    );
    assert.deepEqual(events().filter((e) => e.topic === 'worker.killed' && e.data.task === t), [], `${t} needed no SIGKILL`);
  }
  const log = (await dm.request('GET', `/tasks/${P}/log`)).text;
  assert.match(log, /stopped after \d+ units/);
  assert.match((await dm.request('GET', `/tasks/${N}/log?tail=1`)).text, /stopped after \d+ units\n$/);
  assert.match((await dm.request('GET', `/tasks/${S}/log`)).text, /shell worker \d+: stopped/);
});
