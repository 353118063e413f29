// SIGHUP to a real bl-daemon process applies a changed allowed_commands to the next submit: a
// program the old list refused is taken, one it allowed and the new one drops is refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, writeTestConfig, type TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';
import { waitState } from '../helpers/jobs.js';

let d: TestDaemon | undefined;
// Stopped, not killed: a killed daemon leaves its workers running.
after(async () => {
  await d?.stop();
  d?.cleanup();
});

const submit = (argv: string[]) => d!.request('POST', '/jobs', { argv, cwd: '/' }, { Accept: 'application/json' });

test('SIGHUP applies a changed allowed_commands', async () => {
  const config = (allowed: string[]) => ({ broker: { concurrency: 2 }, allowed_commands: allowed });
  d = await startDaemon({ config: config(['/bin/echo']) });
  assert.equal((await submit(['/bin/echo', 'one'])).status, 201);
  const before = await submit(['/bin/true']);
  assert.equal(before.status, 403, before.text);
  assert.match(before.json.error.message, /not allowed; allowed_commands: \/bin\/echo$/);

  writeTestConfig(d.dir, { config: config(['/bin/true']) });
  d.proc.kill('SIGHUP');
  await waitFor('the reload in the log', () => /SIGHUP: reloaded /.test(d!.err));
  const now = await submit(['/bin/true']);
  assert.equal(now.status, 201, now.text);
  await waitState(d, now.json.id, 'succeeded');
  const dropped = await submit(['/bin/echo', 'two']);
  assert.equal(dropped.status, 403, dropped.text);
  assert.match(dropped.json.error.message, /not allowed; allowed_commands: \/bin\/true$/);
});
