// bl-console without a terminal against a daemon: the one-shot flags, -c, stdin mode, a
// followed log, --exit, and the exit codes (0 done, 1 refused by the daemon, 2 usage).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { waitState } from '../helpers/jobs.js';
import { waitForWorkers } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';
import { runConsole, startConsole } from './run-console.js';

let d: InProcessDaemon;
const confDir = mkdtempSync(path.join(tmpdir(), 'bl-one-shot-conf-'));
before(async () => {
  d = await startInProcess({ config: { tasks: { Task: { cmd: '/bin/sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } }, broker: { concurrency: 1 } } });
  await waitForWorkers(d, 'Task', 1);
});
after(async () => {
  await d.cleanup();
  rmSync(confDir, { recursive: true, force: true });
});

const run = (args: string[], input = '') => runConsole(args, { confDir, input });
const at = () => `-host=${d.url}`;

test('--status: the broker and the tasks, exit 0', async () => {
  const r = await run([at(), '--status']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Concurrency: +1$/m);
  assert.match(r.out, /^Task +running +1\/1 /m);
});

test('--submit / --urgent queue jobs with the cwd; --list-* show them; --json parses', async () => {
  await d.api('PUT', '/broker/concurrency/0');
  try {
    // The sleep runs until the test cancels it.
    const a = await run([at(), '--submit', 'sleep', '1000']);
    assert.equal(a.code, 0, a.err);
    const id = /^Submitted job (\w+) \(normal\): pending$/m.exec(a.out)?.[1];
    assert.ok(id, a.out);
    const u = await run([at(), '--urgent=echo urgent']);
    assert.equal(u.code, 0, u.err);
    const uid = /^Submitted job (\w+) \(urgent\)/m.exec(u.out)![1]!;
    const job = await d.api('GET', `/jobs/${uid}`);
    assert.equal(job.queue, 'urgent');
    assert.equal(job.command, 'echo urgent');
    assert.equal(job.cwd, process.cwd());

    const pending = await run([at(), '--list-pending']);
    assert.equal(pending.code, 0);
    assert.match(pending.out, new RegExp(`^${id} +pending +normal .* sleep 1000$`, 'm'));
    assert.match(pending.out, new RegExp(`^${uid} +pending +urgent`, 'm'));
    const json = await run([at(), '--list-pending', '--json']);
    assert.deepEqual(JSON.parse(json.out).jobs.map((j: { id: string }) => j.id).sort(), [id, uid].sort());

    await d.api('PUT', '/broker/concurrency/2');
    await waitState(d, uid, 'succeeded');
    await waitState(d, id, 'running');
    const running = await run([at(), '--list-running']);
    assert.match(running.out, new RegExp(`^${id} +running`, 'm'));
    const done = await run([at(), '--list-completed']);
    assert.match(done.out, new RegExp(`^${uid} +succeeded +urgent .* 0 +echo urgent$`, 'm'));
    await d.api('DELETE', `/jobs/${id}`);
    await waitState(d, id, 'cancelled');
  } finally {
    await d.api('PUT', '/broker/concurrency/1');
  }
});

test('concurrency and urgent bypass flags change the broker', async () => {
  const before = (await d.api('GET', '/broker')).concurrency as number;
  assert.equal((await run([at(), '--increase-concurrency'])).code, 0);
  assert.equal((await d.api('GET', '/broker')).concurrency, before + 1);
  const dec = await run([at(), '--decrease-concurrency']);
  assert.equal(dec.code, 0);
  assert.match(dec.out, new RegExp(`Concurrency:\\t${before}`));
  assert.equal((await d.api('GET', '/broker')).concurrency, before);
  assert.equal((await run([at(), '--enable-urgent-concurrent'])).code, 0);
  assert.equal((await d.api('GET', '/broker')).urgent_bypass, true);
  assert.equal((await run([at(), '--disable-urgent-concurrent'])).code, 0);
  assert.equal((await d.api('GET', '/broker')).urgent_bypass, false);
});

test('purges with -y and exit-worker do what they say (no terminal: no question asked)', async () => {
  const [ended] = (await d.api('POST', '/jobs', [{ command: 'true', cwd: '/tmp' }])).jobs;
  await waitState(d, ended.id, 'succeeded');
  await d.api('PUT', '/broker/concurrency/0');
  try {
    await d.api('POST', '/jobs', { command: 'true', cwd: '/tmp', queue: 'normal', env: {} });
    const p = await run([at(), '--purge-pending', '-y']);
    assert.equal(p.code, 0, p.err);
    assert.match(p.out, /^Purged 1 job$/m);
    assert.equal((await d.api('GET', '/broker')).pending, 0);
    const kept = (await d.api('GET', '/jobs?state=completed')).jobs.map((j: { id: string }) => j.id);
    assert.ok(kept.includes(ended.id), 'the completed list is kept');

    const c = await run([at(), '--purge-completed', '-y']);
    assert.equal(c.code, 0, c.err);
    assert.deepEqual((await d.api('GET', '/jobs?state=completed')).jobs, []);

    await d.api('POST', '/jobs', { command: 'true', cwd: '/tmp' });
    const all = await run([at(), '--purge', '-y']);
    assert.equal(all.code, 0, all.err);
    assert.equal((await d.api('GET', '/broker')).pending, 0);

    const x = await run([at(), '--exit-worker']);
    assert.equal(x.code, 0, x.err);
    assert.match(x.out, /^Launchers will exit after their running jobs$/m);
    assert.notEqual((await d.api('GET', '/broker')).exit_workers_at, null);
    for (const r of [p, c, all, x]) assert.doesNotMatch(r.out + r.err, /\[y\/N\]/);
  } finally {
    await d.api('PUT', '/broker/concurrency/1');
  }
});

test('without a terminal, --purge, --purge-completed, --purge-pending and --exit refuse unless -y: exit 2, why and how, nothing done', async () => {
  await d.api('PUT', '/broker/concurrency/0');
  const queued = await d.api('POST', '/jobs', { command: 'true', cwd: '/tmp' });
  try {
    for (const flag of ['--purge', '--purge-completed', '--purge-pending', '--exit']) {
      // `echo n | bl-console --purge-completed`: a pipe is no one to ask.
      const r = await run([at(), flag], 'n\n');
      assert.equal(r.code, 2, flag);
      assert.equal(r.out, '', flag);
      assert.match(r.err, new RegExp(`^bl-console: ${flag} would .+, and there is no terminal to confirm it on: nothing done; add -y to do it without asking\n$`), flag);
    }
    // Nothing of a run that holds one runs: not even the flags before it.
    const mixed = await run([at(), '--submit', 'true', '--purge-pending']);
    assert.equal(mixed.code, 2);
    assert.equal((await d.api('GET', '/broker')).pending, 1, 'nothing submitted, nothing purged');
    assert.equal((await d.api('GET', '/healthz')).status, 'ok', 'the daemon did not exit');
  } finally {
    await d.api('DELETE', `/jobs/${queued.id}`);
    await d.api('PUT', '/broker/concurrency/1');
  }
});

test('-c runs several commands; the daemon refusing is exit 1, a usage error 2', async () => {
  const ok = await run([at(), '-c', 'ls; status Task; lw Task']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^Task +running +1\/1 +0 +\S+ +\S+( [KMGT]?i?B)?$/m);
  assert.match(ok.out, /^Active Workers: +1 \/ 1$/m);
  assert.match(ok.out, /^Task +\d+ +running /m);

  const refused = await run([at(), '-c', 'set Nope cardinality 3']);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /^ERROR: .*Nope/m);
  const unknownJob = await run([at(), '-c', 'job 01NOPE']);
  assert.equal(unknownJob.code, 1);

  const usage = await run([at(), '-c', 'set Task cardinality']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /^ERROR: usage: set TASK OPTION VALUE/m);
  const unknown = await run([at(), '-c', 'lss']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.err, 'ERROR: Command not recognised: lss\nDid you mean ls?\n');
  const flag = await run([at(), '--bogus']);
  assert.equal(flag.code, 2);
  assert.match(flag.err, /^bl-console: .*--bogus/);
});

test('stdin: one command per line, in order; empty stdin shows the help', async () => {
  const r = await run([at()], 'set Task cardinality 2\n\n# a comment\nstatus\nsubmit true\njobs\n');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Changed workers cardinality\n/);
  // The status line comes right after the change: the second worker may or may not be up yet.
  assert.match(r.out, /^Task +running +[12]\/2 /m);
  assert.match(r.out, /^Submitted job (\w+)/m);
  await d.api('POST', '/tasks/Task/set/cardinality/1');
  const help = await run([at()], '');
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage:/m);
  assert.match(help.out, /--list-completed/);
  const flagHelp = await run(['--help']);
  assert.equal(flagHelp.code, 0);
  assert.equal(flagHelp.out, help.out);
});

test('stop, start, listworkers, restart, stop all, status print the lines workerpoolmanager printed', async () => {
  const r = await run([at()], 'stop Task\nstart Task\nlistworkers Task\nrestart Task\nstop\nstatus\nstart Task\n');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.equal(lines[0], 'Stopped Task workers');
  assert.equal(lines[1], 'Started task manager');
  assert.match(lines[2]!, /^TASK +PID +STATE +STARTED +LAST ALIVE/);
  assert.match(lines[3]!, /^Task +\d+ +running +\d{4}-/);
  assert.match(r.out, /^Restarting 1 Task worker$/m);
  assert.match(r.out, /^Stopped Task workers\nNo active tasks\nStarted task manager\n$/m);
});

test('log ID -f shows the tail, then follows the job until it ends; an unknown job is an error; --json cannot follow', async () => {
  const go = path.join(confDir, 'go');
  const job = await d.api('POST', '/jobs', { command: `echo line 1; while [ ! -e ${go} ]; do sleep 0.02; done; echo line 2; echo line 3`, cwd: '/tmp' });
  await waitState(d, job.id, 'running');
  const follow = startConsole([at(), '-c', `log ${job.id} -f`], { confDir });
  await waitFor('the tail so far', () => follow.out() === 'line 1\n');
  writeFileSync(go, '');
  const r = await follow.done;
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'line 1\nline 2\nline 3\n', 'stdout: the output alone');
  assert.equal(r.err, `--- job ${job.id} succeeded (exit 0)\n`, 'how it ended: on stderr');
  assert.equal((await d.api('GET', `/jobs/${job.id}`)).state, 'succeeded', 'the follow ends with the job');
  const nope = await run([at(), '-c', 'log 01NOSUCHJOB0000000000000000 --follow']);
  assert.equal(nope.code, 1);
  assert.match(nope.err, /^ERROR: .*01NOSUCHJOB/m);
  const json = await run([at(), '--json', '-c', `log ${job.id} -f`]);
  assert.equal(json.code, 2);
  assert.match(json.err, /leave out --json/);
});

test('--submit … --after KEY and `submit --after ID --after-any` in -c: the jobs wait, then run in order', async () => {
  await d.api('PUT', '/broker/concurrency/0');
  try {
    const first = await d.api('POST', '/jobs', { command: 'true', cwd: '/', key: 'one-shot-first' });
    const a = await run([at(), '--submit', 'echo', 'second', '--after', 'one-shot-first']);
    assert.equal(a.code, 0, a.err);
    const second = /^Submitted job (\w+) \(normal\): waiting on (\w+)$/m.exec(a.out);
    assert.ok(second, a.out);
    assert.equal(second[2], first.id);
    const c = await run([at(), '-c', `submit --after ${second[1]!.slice(-8)} --after-any echo third`]);
    assert.equal(c.code, 0, c.err);
    const third = /^Submitted job (\w+) \(normal\): waiting on (\w+)$/m.exec(c.out)!;
    assert.equal(third[2], second[1]);
    const listed = await run([at(), '-c', 'jobs waiting']);
    assert.match(listed.out, new RegExp(`${second[1]}.*waiting`));
    const bad = await run([at(), '--submit', 'true', '--after', 'no-such-job']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /no job, key or sweep named no-such-job/);
    await d.api('PUT', '/broker/concurrency/1');
    await waitState(d, third[1]!, 'succeeded');
    assert.equal((await d.api('GET', `/jobs/${second[1]}`)).state, 'succeeded');
  } finally {
    await d.api('PUT', '/broker/concurrency/1');
  }
});


test('--exit -y: the daemon shuts down', async () => {
  const r = await run([at(), '--exit', '-y']);
  assert.equal(r.code, 0, r.err);
  await d.daemon.finished;
  assert.ok(d.log.some((l) => / info  shutting down \(POST \/shutdown\)/.test(l)), d.log.join('\n'));
});
