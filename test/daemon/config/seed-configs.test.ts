// The seed's date-sample.json runs as is: every file in /bin is a task, `date` is
// autostarted, and since it exits at once it backs off instead of spinning: each restart
// waits at least the backoff delay, which doubles from 100 ms.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { waitFor } from '../../helpers/wait.js';

const seed = path.join(repoRoot, 'test/fixtures/workerpoolmanager/date-sample.json');
let d: InProcessDaemon | undefined;
after(() => d?.cleanup());

/** What the seed's `path: "/bin"` with an empty `filesuffix` makes tasks of: its regular files. */
function binFiles(): string[] {
  return readdirSync('/bin')
    .filter((f) => {
      try {
        return statSync(path.join('/bin', f)).isFile();
      } catch {
        return false; // a dangling link
      }
    })
    .sort();
}

test('date-sample.json runs unchanged and `date` backs off', async () => {
  // The seed file as is; only its ports (HTTP 8010, keep-alives 5591/5592) and the state dir
  // are moved aside, as bl-daemon's flags would, so the test runs beside a daemon using them.
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-seed-'));
  const dm = (d = await startInProcess({
    configFile: seed,
    dir,
    adjust: (c) => {
      c.port = 0;
      c.keepalives.inboundPort = 0;
      c.keepalives.internalPort = 0;
      c.stateDir = path.join(dir, 'state');
    },
  }));
  assert.equal(dm.config.file, seed);
  assert.deepEqual([dm.config.keepalives.stallTimeout, dm.config.keepalives.gracePeriod, dm.config.forceTimeout], [2000, 10, 6000]);

  const list = (await dm.request('GET', '/list')).text.trim().split('\n');
  assert.deepEqual(list, binFiles(), 'every file in /bin is a task');
  assert.ok(list.includes('date'));

  // Six starts of `date`, each after the exit of the one before.
  const dateEvents = () => dm.services.events.since(0).filter((e) => e.data.task === 'date' && (e.topic === 'worker.started' || e.topic === 'worker.exited'));
  const starts = 6;
  const seen = await waitFor(`${starts} starts of date`, () => {
    const es = dateEvents();
    return es.filter((e) => e.topic === 'worker.started').length >= starts ? es.slice(0, 2 * starts - 1) : undefined;
  }, { timeout: 20000 });
  assert.deepEqual(
    seen.map((e) => e.topic),
    Array.from({ length: 2 * starts - 1 }, (_, i) => (i % 2 ? 'worker.exited' : 'worker.started')),
    'one worker at a time: started, exited, started…',
  );
  for (const e of seen.filter((x) => x.topic === 'worker.exited')) assert.deepEqual([e.data.reason, e.data.code], ['exited', 0]);
  const startTimes = seen.filter((e) => e.topic === 'worker.started').map((e) => e.time);
  const gaps = startTimes.slice(1).map((t, i) => t - startTimes[i]!);
  const delays = gaps.map((_, i) => 100 * 2 ** i); // 100, 200, 400, 800, 1600
  assert.ok(
    gaps.every((g, i) => g >= delays[i]!),
    `the gaps between starts (${gaps.join(', ')} ms) are at least the backoff delays (${delays.join(', ')} ms)`,
  );

  const text = (await dm.request('GET', '/tasks/date')).text;
  assert.match(text, /^Task name:\tdate$/m);
  assert.match(text, /^Running:\ttrue$/m);
  assert.match(text, /^Active Workers:\t[01] \/ 1$/m);
  assert.match(text, /^State:\t(backoff|running)$/m);
  assert.match((await dm.request('GET', '/tasks/date/log')).text, /\d{4}|UTC/, 'captured output of date');
});
