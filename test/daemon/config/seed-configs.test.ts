// Must show 1: the seed's date-sample.json runs as is: every file in /bin is a task, `date`
// is autostarted, and since it exits at once it backs off instead of spinning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, repoRoot } from '../../helpers/daemon.js';
import { statFields } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';

const seed = path.join(repoRoot, 'test/fixtures/workerpoolmanager/date-sample.json');

function cpuMs(pid: number): number {
  const f = statFields(pid)!;
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

test('date-sample.json runs unchanged and `date` backs off', async () => {
  // The seed file as is; only the HTTP port and the state dir are moved aside by flags so
  // the test can run beside others (its keep-alive ports 5591/5592 are used as written).
  const d = await startDaemon({ configFile: seed, args: ['--port', '0', '--state-dir', path.join(process.env.TMPDIR ?? '/tmp', `bl-seed-${process.pid}`)] });
  try {
    const list = (await d.request('GET', '/list')).text.trim().split('\n');
    const bin = readdirSync('/bin');
    assert.ok(list.includes('ls') && list.includes('date'));
    assert.ok(list.length >= bin.length / 2, `${list.length} tasks from /bin`);

    const cpu0 = cpuMs(d.pid);
    const t0 = Date.now();
    await waitFor('3 s of backoff', () => Date.now() - t0 >= 3000, { timeout: 5000 });
    const j = await d.api('GET', '/tasks/date');
    const exits = j.counters.exited_ok + j.counters.exited_error;
    // 100+200+400+800+1600 ms: about 5–7 starts in 3 s; a spin would make thousands.
    assert.ok(exits >= 3 && exits <= 9, `date ran ${exits} times in 3 s`);
    assert.ok(['backoff', 'running'].includes(j.state), j.state);
    const used = cpuMs(d.pid) - cpu0;
    assert.ok(used < 1500, `the daemon used ${used} ms of CPU in 3 s`);
    const text = (await d.request('GET', '/tasks/date')).text;
    assert.match(text, /^Task name:\tdate$/m);
    assert.match(text, /^Running:\ttrue$/m);
    assert.match(text, /^Active Workers:\t[01] \/ 1$/m);
    assert.match((await d.request('GET', '/tasks/date/log')).text, /\d{4}|UTC/, 'captured output of date');
  } finally {
    assert.equal((await d.stop()).code, 0);
    d.cleanup();
  }
});
