// BrokeredLauncher's one-shot flags, -c, stdin mode and the exit codes, against a real daemon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { freePort, selfSignedCert } from '../helpers/net.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { programArgv, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

let d: TestDaemon;
// The console's settings (history, tokens per host) go to a temp dir, never the user's.
const confDir = mkdtempSync(path.join(tmpdir(), 'bl-one-shot-conf-'));
before(async () => {
  d = await startDaemon({ config: { tasks: { Task: { cmd: '/bin/sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } }, broker: { concurrency: 1 } } });
});
after(async () => {
  await d.stop();
  d.cleanup();
  rmSync(confDir, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

function run(args: string[], input = '', env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...programArgv('console/main'), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', BL_CONSOLE_CONFIG_DIR: confDir, ...env },
    });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    p.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.end(input);
  });
}
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
    const a = await run([at(), '--submit', 'sleep', '5']);
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
    assert.match(pending.out, new RegExp(`^${id} +pending +normal .* sleep 5$`, 'm'));
    assert.match(pending.out, new RegExp(`^${uid} +pending +urgent`, 'm'));
    const json = await run([at(), '--list-pending', '--json']);
    assert.deepEqual(JSON.parse(json.out).jobs.map((j: { id: string }) => j.id).sort(), [id, uid].sort());

    await d.api('PUT', '/broker/concurrency/2');
    await waitFor('the urgent job to end', async () => (await d.api('GET', `/jobs/${uid}`)).state === 'succeeded');
    const running = await run([at(), '--list-running']);
    assert.match(running.out, new RegExp(`^${id} +running`, 'm'));
    const done = await run([at(), '--list-completed']);
    assert.match(done.out, new RegExp(`^${uid} +succeeded +urgent .* 0 +echo urgent$`, 'm'));
    await d.api('DELETE', `/jobs/${id}`);
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
  assert.equal((await run([at(), '--enable-urgent-concurrent'])).code, 0);
  assert.equal((await d.api('GET', '/broker')).urgent_bypass, true);
  assert.equal((await run([at(), '--disable-urgent-concurrent'])).code, 0);
  assert.equal((await d.api('GET', '/broker')).urgent_bypass, false);
});

test('purges and exit-worker (no terminal: no question asked)', async () => {
  await d.api('PUT', '/broker/concurrency/0');
  try {
    await d.api('POST', '/jobs', { command: 'true', cwd: '/tmp', queue: 'normal', env: {} });
    const p = await run([at(), '--purge-pending']);
    assert.equal(p.code, 0, p.err);
    assert.match(p.out, /^Purged 1 job$/m);
    assert.equal((await d.api('GET', '/broker')).pending, 0);
    for (const flag of ['--purge-completed', '--purge', '--exit-worker']) {
      const r = await run([at(), flag]);
      assert.equal(r.code, 0, `${flag}: ${r.err}`);
      assert.doesNotMatch(r.out + r.err, /\[y\/N\]/);
    }
  } finally {
    await d.api('PUT', '/broker/concurrency/1');
  }
});

test('-c runs several commands; the daemon refusing is exit 1, a usage error 2', async () => {
  const ok = await run([at(), '-c', 'ls; status Task; lw Task']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^Task +running$/m);
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
  assert.match(r.out, /^Task +running +\d\/2 /m);
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

test('an unreachable daemon: exit 3, one line naming the address, no stack trace', async () => {
  const port = await freePort();
  for (const args of [['--status'], ['-c', 'ls'], ['--submit', 'true']]) {
    const r = await run([`-host=127.0.0.1:${port}`, ...args]);
    assert.equal(r.code, 3, args.join(' '));
    assert.equal(r.out, '');
    const lines = r.err.trim().split('\n');
    assert.ok(lines.every((l) => l === `ERROR: cannot reach the daemon at http://127.0.0.1:${port} (ECONNREFUSED)`), r.err);
  }
  const stdin = await run([`-host=127.0.0.1:${port}`], 'ls\n');
  assert.equal(stdin.code, 3);
});

test('several hosts: reads fan out, labelled by host; one down makes it exit 3', async () => {
  const r = await run([`-host=${d.url},127.0.0.1:1`, '-c', 'ls']);
  assert.equal(r.code, 3);
  assert.match(r.out, new RegExp(`^── ${d.url.replace(/[./]/g, '\\$&')}\\nTASK +STATE\\nTask +running\\n── 127\\.0\\.0\\.1:1$`, 'm'));
  assert.match(r.err, /^ERROR: cannot reach the daemon at http:\/\/127\.0\.0\.1:1 /m);
});

test('connect switches hosts for the commands after it', async () => {
  const r = await run(['-host=127.0.0.1:1', '-c', `connect ${d.url}; ls`]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^Connected to ${d.url.replace(/[./]/g, '\\$&')}\nTASK +STATE\nTask +running$`, 'm'));
});

test('--token: a daemon with auth answers with it, refuses without (exit 1)', async () => {
  const a = await startDaemon({ config: { auth: { token: 'sekrit' } } });
  try {
    const ok = await run([`-host=${a.url}`, '--token', 'sekrit', '-c', 'status']);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^No active tasks$/m);
    // Without settings that remember it (test/console/host-token.test.ts: with them).
    const fresh = mkdtempSync(path.join(tmpdir(), 'bl-one-shot-conf-'));
    const no = await run([`-host=${a.url}`, '-c', 'status'], '', { BL_CONSOLE_CONFIG_DIR: fresh });
    rmSync(fresh, { recursive: true, force: true });
    assert.equal(no.code, 1);
    assert.equal(no.err, 'ERROR: authentication required\n');
  } finally {
    await a.stop();
    a.cleanup();
  }
});

test("the seed's transcript: stop, start, listworkers, stop all, status", async () => {
  const r = await run([at()], 'stop Task\nstart Task\nlistworkers Task\nrestart Task\nstop\nstatus\nstart Task\n');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.equal(lines[0], 'Stopped Task workers');
  assert.equal(lines[1], 'Started task manager');
  assert.match(lines[2]!, /^TASK +PID +STATE +STARTED +LAST ALIVE/);
  assert.match(lines[3]!, /^Task +\d+ +running +\d{4}-/);
  assert.match(r.out, /^Restarting \d+ Task workers$/m);
  assert.match(r.out, /^Stopped Task workers\nNo active tasks\nStarted task manager\n$/m);
});

test('log ID -f follows a job until it ends; an unknown job is an error; --json cannot follow', async () => {
  await d.api('PUT', '/broker/concurrency/1');
  const job = await d.api('POST', '/jobs', { command: 'for i in 1 2 3; do echo line $i; sleep 0.4; done', cwd: '/tmp' });
  await waitFor('the job to run', async () => (await d.api('GET', `/jobs/${job.id}`)).state !== 'pending');
  const r = await run([at(), '-c', `log ${job.id} -f`]);
  assert.equal(r.code, 0, r.err);
  // Every line, whichever moment the follow began: the tail comes first, then the rest.
  assert.equal(r.out, 'line 1\nline 2\nline 3\n');
  assert.equal((await d.api('GET', `/jobs/${job.id}`)).state, 'succeeded', 'the follow ends with the job');
  const nope = await run([at(), '-c', 'log 01NOSUCHJOB0000000000000000 --follow']);
  assert.equal(nope.code, 1);
  assert.match(nope.err, /^ERROR: .*01NOSUCHJOB/m);
  const json = await run([at(), '--json', '-c', `log ${job.id} -f`]);
  assert.equal(json.code, 2);
  assert.match(json.err, /leave out --json/);
});

test('--exit: the daemon leaves', async () => {
  const r = await run([at(), '--exit']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(await d.exited, { code: 0, signal: null });
});

test('https with a CA of its own: without it trusted, exit 3 saying how to trust it; with --ca (or NODE_EXTRA_CA_CERTS), it works', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-console-tls-'));
  const { key, cert } = selfSignedCert(dir);
  const tls = await startDaemon({ config: { tls: { cert, key }, broker: { concurrency: 1 } } });
  try {
    assert.match(tls.url, /^https:/);
    const untrusted = await run([`-host=${tls.url}`, '--status']);
    assert.equal(untrusted.code, 3, untrusted.err);
    assert.match(untrusted.err, /DEPTH_ZERO_SELF_SIGNED_CERT: its certificate is not signed by a CA trusted here; pass the CA's PEM file with --ca FILE/);
    for (const [args, env] of [[['--ca', cert], {}], [[], { NODE_EXTRA_CA_CERTS: cert }]] as const) {
      const trusted = await run([`-host=${tls.url}`, ...args, '--status'], '', env);
      assert.equal(trusted.code, 0, trusted.err);
      assert.match(trusted.out, /^Concurrency: +1$/m);
    }
    const missing = await run([`-host=${tls.url}`, '--ca', path.join(dir, 'nope.pem'), '--status']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^bl-console: --ca: cannot read .*nope\.pem: ENOENT/);
  } finally {
    await tls.stop();
    tls.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
