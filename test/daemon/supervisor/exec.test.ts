// Workers are exec'd directly (no shell in front, see proc/next-pid.ts). A script with
// no `#!` line, which the kernel refuses (ENOEXEC), still runs: through /bin/sh, as execvp
// and shells run it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, workerPids } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bl-exec-'));
let d: InProcessDaemon | undefined;
after(async () => {
  await d?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

test('a script with no #! line runs through /bin/sh and its keep-alives count', async () => {
  const script = path.join(tmp, 'plain-script');
  writeFileSync(script, 'curl -s -o /dev/null -X POST -d "{\\"info\\": \\"no shebang\\"}" -H "Content-Type: application/json" "$BL_KEEPALIVE_URL"\nexec sleep 1000\n');
  chmodSync(script, 0o755);
  const T = uniq('Plain');
  d = await startInProcess({ config: { tasks: { [T]: { cmd: script, cardinality: 1, stall_timeout: 0 } } } });
  const j = await waitFor('a keep-alive from the script', async () => {
    const t = await taskJson(d!, T);
    return t.workers[0]?.info === 'no shebang' ? t : undefined;
  });
  assert.equal(j.counters.exited_error, 0);
  assert.deepEqual(await workerPids(d, T), [j.workers[0].pid], 'the worker that spoke is the one running');
});
