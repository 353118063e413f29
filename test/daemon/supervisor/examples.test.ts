// Every example worker runs here: the Node (zeromq), Python (python3-zmq) and shell (curl)
// workers keep a task alive past its stall_timeout with their keep-alives and stop cleanly on
// SIGTERM; the stalling one is found stalled and replaced.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startDaemon, repoRoot, type TestDaemon } from '../../helpers/daemon.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, taskProcesses } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

const ex = (f: string) => path.join(repoRoot, 'workers-examples', f);
const N = uniq('NodeW');
const P = uniq('PyW');
const S = uniq('ShW');
const X = uniq('StallW');
let d: TestDaemon;
after(async () => {
  await d?.stop();
  d?.cleanup();
});

test('the example workers keep their tasks alive and stop cleanly', async () => {
  const fast = { BL_KEEPALIVE_MS: '200' };
  d = await startDaemon({
    config: {
      keepalives: { stall_timeout: 1500, grace_period: 3000 },
      tasks: {
        [N]: { cmd: 'node', args: [ex('node-worker.mjs')], cardinality: 2, env: fast },
        [P]: { cmd: ex('python-worker.py'), cardinality: 1, env: fast },
        [S]: { cmd: ex('shell-worker.sh'), cardinality: 1, env: fast },
        [X]: { cmd: 'node', args: [ex('stalling-worker.mjs')], cardinality: 1, stall_timeout: 1000, env: { BL_STALL_AFTER_MS: '500' } },
      },
    },
  });
  for (const t of [N, P, S]) await waitFor(`a keep-alive from ${t}`, async () => (await taskJson(d, t)).last_alive_at, { timeout: 15000 });
  // Past two stall timeouts: nobody was stalled, since the keep-alives came.
  const since = Date.now();
  await waitFor('3 s to pass with keep-alives flowing', () => Date.now() - since > 3000 && true, { timeout: 5000 });
  for (const t of [N, P, S]) {
    const j = await taskJson(d, t);
    assert.equal(j.counters.stalled, 0, `${t} was never stalled`);
    assert.equal(j.active, j.cardinality, `${t} has all its workers`);
    assert.ok(Date.now() - Date.parse(j.last_alive_at) < 1500, `${t} sent a recent keep-alive`);
  }
  const nodeList = (await d.api('GET', `/tasks/${N}/list`)).workers;
  assert.match(nodeList[0].info, /units done/);
  // The staller stops sending after 500 ms and is replaced after its 1 s stall timeout.
  await waitFor('the stalling worker to be found stalled', async () => (await taskJson(d, X)).counters.stalled >= 1, { timeout: 10000 });

  // SIGTERM handlers: each worker exits by itself, well within the 3 s grace (no SIGKILL).
  for (const t of [N, P, S]) {
    const t0 = Date.now();
    const r = await d.request('POST', `/tasks/${t}/stop`);
    assert.equal(r.status, 200);
    assert.ok(Date.now() - t0 < 2500, `${t} stopped on SIGTERM without waiting for SIGKILL`);
    assert.deepEqual(taskProcesses(t), []);
  }
  const log = (await d.request('GET', `/tasks/${P}/log`)).text;
  assert.match(log, /stopped after \d+ units/);
  assert.match((await d.request('GET', `/tasks/${N}/log?tail=1`)).text, /stopped after \d+ units\n$/);
  assert.match((await d.request('GET', `/tasks/${S}/log`)).text, /shell worker \d+: stopped/);
});
