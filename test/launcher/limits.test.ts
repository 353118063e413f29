// bl-launcher runs its jobs in process groups: a job with memory_max, cpu_max or pids_max that
// it leases is refused (failed, saying why and what runs such a job), never run unlimited.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { submit, waitLaunchers, waitState } from '../helpers/jobs.js';
import { startLauncher, type TestLauncher } from './launcher-helpers.js';

let d: InProcessDaemon | undefined;
let l: TestLauncher | undefined;
after(async () => {
  l?.cleanup();
  await d?.cleanup();
});

test('a job with limits leased by bl-launcher fails with the reason, and its command never runs', async () => {
  d = await startInProcess({ config: { broker: { concurrency: 2, local_slots: 0 } } });
  l = startLauncher({ url: d.url, name: 'L', slots: 1, stateDir: path.join(d.dir, 'l') });
  await waitLaunchers(d, ['L']);
  const ran = path.join(d.dir, 'ran');
  const [j] = await submit(d, { command: `touch ${ran}`, cwd: d.dir, memory_max: '64M', pids_max: 10 });
  const done = await waitState(d, j!.id, 'failed');
  assert.equal(done.launcher, 'L');
  assert.equal(done.reason, "bl-launcher L does not enforce memory_max, pids_max: a job with limits runs on the daemon's built-in launcher");
  const [plain] = await submit(d, { command: 'true', cwd: d.dir });
  await waitState(d, plain!.id, 'succeeded');
  assert.equal((await import('node:fs')).existsSync(ran), false, 'the limited command did not run');
});
