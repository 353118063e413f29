// Under `auth`, a worker keeps alive over HTTP with what BL_KEEPALIVE_URL carries: the shell
// example worker (curl, no token of its own) in a real bl-daemon process outlives two stall
// timeouts without a stall. The URL's key opens its own task's keep-alive route only: not
// another task's, not any other route of its task.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { repoRoot, startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';
import { uniq } from '../../helpers/uniq.js';

const TOKEN = 'ka-auth-token-3e1f';
const S = uniq('ShW');
const O = uniq('Other');
let d: TestDaemon | undefined;
// Stopped, not killed: a killed daemon leaves its workers running.
after(async () => {
  await d?.stop();
  d?.cleanup();
});

/** A process's environment, from /proc. */
function envOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

test('with auth on, the shell example worker keeps alive through BL_KEEPALIVE_URL', async () => {
  const stall = 1500;
  d = await startDaemon({
    clientToken: TOKEN,
    config: {
      auth: { token: TOKEN },
      keepalives: { stall_timeout: stall },
      tasks: {
        [S]: { cmd: path.join(repoRoot, 'workers-examples', 'shell-worker.sh'), cardinality: 1, env: { BL_KEEPALIVE_MS: '200' } },
        [O]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 },
      },
    },
  });
  const [pid] = await waitForWorkers(d, S, 1);
  await waitFor('the worker kept alive past two stall timeouts', async () => {
    const [w] = (await d!.api('GET', `/tasks/${S}/list`)).workers as { started_at: string; last_alive_at: string | null }[];
    return w?.last_alive_at && Date.parse(w.last_alive_at) - Date.parse(w.started_at) > 2 * stall;
  }, { timeout: 20000 });
  const t = await d.api('GET', `/tasks/${S}`);
  assert.equal(t.counters.stalled, 0, 'never stalled');
  assert.deepEqual(t.workers.map((w: { pid: number }) => w.pid), [pid], 'the first worker still');

  // What the key opens, asked without the token.
  const url = new URL(envOf(pid!).BL_KEEPALIVE_URL!);
  const key = url.searchParams.get('key');
  assert.match(key ?? '', /^[0-9a-f]{32}$/);
  const bare = (method: string, p: string) => fetch(d!.url + p, { method }).then((r) => r.status);
  assert.equal(await bare('POST', url.pathname + url.search), 200, 'its own URL');
  assert.equal(await bare('POST', `${url.pathname}?id=${url.searchParams.get('id')}&key=${'0'.repeat(32)}`), 401, 'a wrong key');
  assert.equal(await bare('POST', `${url.pathname}?id=${url.searchParams.get('id')}`), 401, 'no key');
  assert.equal(await bare('POST', `/tasks/${O}/workers/2/alive?key=${key}`), 401, "another task's route");
  assert.equal(await bare('GET', `/tasks/${S}?key=${key}`), 401, "another route of its task");
  assert.equal(await bare('POST', `/tasks/${S}/stop?key=${key}`), 401, 'nor its controls');
});
