// A NUL byte (or an env name that is empty or holds `=`) in one job once crashed the shared
// spawn helper and took the innocent jobs running in it along, marked `lost`. Now such a submit
// is refused with 400 naming the field, whichever way it comes (a job, an array, a sweep, a
// text body); and a helper that dies anyway (SIGKILL) does not end its jobs: each is stopped and
// runs again as its next attempt, a bounded number of times beyond its retries. Real helpers,
// real jobs, a daemon in this process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { Marks, submit, waitState } from '../../helpers/jobs.js';
import { isSpawner, pidsWithEnv, ppidOf } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';
import { ORPHAN_RERUNS } from '../../../daemon/broker/dispatch.js';

let d: InProcessDaemon;
let marks: Marks;
const requeues: Record<string, unknown>[] = [];
before(async () => {
  d = await startInProcess({ config: { broker: { concurrency: 8 } } });
  marks = new Marks(path.join(d.dir, 'marks'));
  d.services.events.subscribe((e) => e.topic === 'job.requeued' && requeues.push(e.data));
});
after(() => d.cleanup());

test('14 poison submits are refused with 400 naming the field; the innocent jobs between them all succeed', async () => {
  const cwd = d.dir;
  const poison: [unknown, RegExp, string?][] = [
    [{ command: 'echo a\0b', cwd }, /expected `command` without a NUL byte \(\\u0000\), found one at character 6/],
    [{ argv: ['/bin/echo', 'a\0'], cwd }, /expected `argv\[1\]` without a NUL byte/],
    [{ argv: ['/bin/ec\0ho'], cwd }, /expected `argv\[0\]` without a NUL byte/],
    [{ command: 'true', env: { 'A=B': 'x' }, cwd }, /expected `env` names without `=`, found "A=B"/],
    [{ command: 'true', env: { '': 'x' }, cwd }, /expected `env` names to be non-empty, found an empty name/],
    [{ command: 'true', env: { 'A\0B': 'x' }, cwd }, /expected `env` names without a NUL byte/],
    [{ command: 'true', env: { A: 'x\0' }, cwd }, /expected `env.A` without a NUL byte/],
    [{ command: 'true', cwd: `${cwd}\0x` }, /expected `cwd` without a NUL byte/],
    [[{ command: 'true', cwd }, { command: 'echo \0', cwd }], /^job 2 of 2: expected `command` without a NUL byte.*nothing was submitted$/],
    [{ argv: ['/bin/echo', '{v}'], params: { v: ['fine', 'bad\0'] }, cwd }, /^job 2 of 2 \(the sweep's combination \{"v":"bad\\u0000"\}\): expected `argv\[1\]` without a NUL byte/],
    [{ command: 'echo {v}', params: { v: ['x\0'] }, cwd }, /^job \(the sweep's combination \{"v":"x\\u0000"\}\): expected `command` without a NUL byte/],
    [{ command: 'echo "$A"', env: { '=': 'x' }, cwd }, /expected `env` names without `=`, found "="/],
    [{ http: { url: 'http://127.0.0.1:1/' }, command: 'x\0' }, /found both a command and a request/],
    ['echo text\0body', /expected `command` without a NUL byte/, 'text/plain'],
  ];
  assert.equal(poison.length, 14);
  const innocent: string[] = [];
  for (const [i, [body, why, type]] of poison.entries()) {
    const r = type
      ? await d.request('POST', `/jobs?cwd=${encodeURIComponent(cwd)}`, body, { 'Content-Type': type, Accept: 'application/json' })
      : await d.request('POST', '/jobs', body, { Accept: 'application/json' });
    assert.equal(r.status, 400, `poison ${i}: ${r.text}`);
    const err = JSON.parse(r.text).error;
    assert.equal(err.code, 'bad_value');
    assert.match(err.message, why, `poison ${i}`);
    const [j] = await submit(d, { command: `echo innocent ${i}`, cwd, env: { N: String(i) } });
    innocent.push(j!.id);
  }
  for (const [i, id] of innocent.entries()) {
    const j = await waitState(d, id, ['succeeded', 'failed', 'lost'], 60000);
    assert.equal(j.state, 'succeeded', `innocent ${i}: ${j.reason}`);
    assert.equal(j.attempt, 1);
    assert.equal((await d.request('GET', `/jobs/${id}/log`)).text, `innocent ${i}\n`);
  }
  // Nothing of a refused submit was stored.
  const all = (await d.api('GET', '/jobs?state=all&limit=1000')).jobs as { id: string }[];
  assert.deepEqual(all.map((j) => j.id).sort(), [...innocent].sort());
});

test('a spawn helper killed with SIGKILL mid-job: each of its jobs is stopped and runs again as attempt 2, and succeeds', async () => {
  const n = 6;
  const cmd = (i: number) => `if [ "$BL_JOB_ATTEMPT" = 1 ]; then ${marks.made(`up-${i}`)}; ${marks.awaited('go')}; fi; echo "job ${i} attempt $BL_JOB_ATTEMPT"`;
  const jobs = await submit(d, Array.from({ length: n }, (_, i) => ({ command: cmd(i), cwd: d.dir })));
  for (let i = 0; i < n; i++) await marks.waitMade(`up-${i}`, 60000);
  // The helpers that forked them: the leaders' parents. The one with the most jobs goes.
  const byHelper = new Map<number, string[]>();
  for (const j of jobs) {
    const [leader] = await waitFor(`the process of ${j.id}`, () => {
      const pids = pidsWithEnv('BL_JOB_RUN', `${j.id}:1@local`).filter((p) => isSpawner(ppidOf(p) ?? 0));
      return pids.length ? pids : undefined;
    }, { timeout: 60000 });
    const h = ppidOf(leader!)!;
    byHelper.set(h, [...(byHelper.get(h) ?? []), j.id]);
  }
  const [victim, itsJobs] = [...byHelper].sort((a, b) => b[1].length - a[1].length)[0]!;
  process.kill(victim, 'SIGKILL');
  for (const id of itsJobs) {
    const j = await waitState(d, id, ['succeeded', 'failed', 'lost', 'cancelled'], 60000);
    assert.equal(j.state, 'succeeded', `${id}: ${j.reason}`);
    assert.equal(j.attempt, 2);
    const r = requeues.find((e) => e.id === id);
    assert.match(String(r?.reason), /^attempt 1: its spawn helper died \(.* process exited \(SIGKILL\)\); the job was stopped to run again$/);
  }
  // The others were in a helper that lives: they finish as attempt 1 once told to go.
  marks.make('go');
  for (const j of jobs.filter((x) => !itsJobs.includes(x.id))) {
    const done = await waitState(d, j.id, ['succeeded', 'failed', 'lost'], 60000);
    assert.deepEqual([done.state, done.attempt], ['succeeded', 1]);
  }
  for (const j of jobs) assert.deepEqual(pidsWithEnv('BL_JOB_ID', j.id), [], 'no process of any attempt is left');
});

test('a job that kills its own helper every time runs its retries and the bounded re-runs, then is lost saying why', async () => {
  // Each attempt notes itself in a file of its own (its log dies unnamed with the helper).
  const ran = marks.path('suicidal-attempts');
  const [j] = await submit(d, { command: `echo "attempt $BL_JOB_ATTEMPT" >> ${ran}; kill -9 $PPID; sleep 600`, cwd: d.dir, retries: 1 });
  const lost = await waitState(d, j!.id, ['succeeded', 'failed', 'lost'], 60000);
  assert.equal(lost.state, 'lost');
  assert.equal(lost.attempt, 1 + 1 + ORPHAN_RERUNS);
  assert.match(lost.reason!, new RegExp(`its spawn helper died .*; no run left after attempt ${lost.attempt} \\(retries 1, and ${ORPHAN_RERUNS} more when a spawn helper dies\\)$`));
  assert.equal(readFileSync(ran, 'utf8'), 'attempt 1\nattempt 2\nattempt 3\nattempt 4\n');
  assert.deepEqual(pidsWithEnv('BL_JOB_ID', j!.id), []);
});
