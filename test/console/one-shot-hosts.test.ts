// Which daemons a one-shot bl-console reaches and how: an unreachable one (exit 3), several at
// once, `connect`, a daemon with a token, and https with a CA of the daemon's own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { freePort, selfSignedCert } from '../helpers/net.js';
import { runConsole } from './run-console.js';

let d: InProcessDaemon;
const confDir = mkdtempSync(path.join(tmpdir(), 'bl-one-shot-conf-'));
before(async () => {
  d = await startInProcess({ config: { tasks: { Task: { cmd: '/bin/sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } } } });
});
after(async () => {
  await d.cleanup();
  rmSync(confDir, { recursive: true, force: true });
});

const run = (args: string[], o: { input?: string; env?: Record<string, string>; confDir?: string } = {}) => runConsole(args, { confDir, ...o });
const re = (s: string) => s.replace(/[./]/g, '\\$&');

test('an unreachable daemon: exit 3, one line naming the address, no stack trace', async () => {
  const port = await freePort();
  for (const args of [['--status'], ['-c', 'ls'], ['--submit', 'true']]) {
    const r = await run([`-host=127.0.0.1:${port}`, ...args]);
    assert.equal(r.code, 3, args.join(' '));
    assert.equal(r.out, '');
    // Said once, though --status asks twice (the broker, the tasks).
    assert.equal(r.err, `ERROR: cannot reach the daemon at http://127.0.0.1:${port} (ECONNREFUSED)\n`, args.join(' '));
  }
  // A script stops at the first line that reaches no daemon: the rest would fail the same way.
  const stdin = await run([`-host=127.0.0.1:${port}`], { input: 'ls\nstatus\nsubmit true\n' });
  assert.equal(stdin.code, 3);
  assert.equal(stdin.err, `ERROR: cannot reach the daemon at http://127.0.0.1:${port} (ECONNREFUSED)\n`);
});

test('several hosts: reads fan out, labelled by host; one down makes it exit 3, said once', async () => {
  const down = `127.0.0.1:${await freePort()}`;
  const r = await run([`-host=${d.url},${down}`, '-c', 'ls; status']);
  assert.equal(r.code, 3);
  assert.match(r.out, new RegExp(`^── ${re(d.url)}\\nTASK +STATE +WORKERS .*\\nTask +running +1/1 .*\\n── ${re(down)}$`, 'm'));
  assert.match(r.out, /^Task +running +1\/1 +0 +(?:[\d.]+%|-) +(?:[\d.]+ \w?i?B|-) +\d+s ago/m, 'the host that answers goes on answering');
  // Said once, though both lines met it.
  assert.equal(r.err, `ERROR: cannot reach the daemon at http://${down} (ECONNREFUSED)\n`);
});

test('connect switches hosts for the commands after it', async () => {
  const r = await run([`-host=127.0.0.1:${await freePort()}`, '-c', `connect ${d.url}; ls`]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^Connected to ${re(d.url)}\nTASK +STATE +WORKERS .*\nTask +running +1/1 `, 'm'));
});

test('--token: a daemon with auth answers with it, refuses without (exit 1)', async () => {
  const a = await startInProcess({ config: { auth: { token: 'sekrit' } } });
  // Settings of their own: none remember a token for this daemon (host-token.test.ts: with them).
  const fresh = mkdtempSync(path.join(tmpdir(), 'bl-one-shot-conf-'));
  try {
    const ok = await run([`-host=${a.url}`, '--token', 'sekrit', '-c', 'status']);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^No active tasks$/m);
    const no = await run([`-host=${a.url}`, '-c', 'status'], { confDir: fresh });
    assert.equal(no.code, 1);
    assert.equal(no.err, 'ERROR: authentication required\n');
  } finally {
    await a.cleanup();
    rmSync(fresh, { recursive: true, force: true });
  }
});

test('https with a CA of its own: without it trusted, exit 3 saying how to trust it; with --ca (or NODE_EXTRA_CA_CERTS), it works', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-console-tls-'));
  const { key, cert } = selfSignedCert(dir);
  const tls = await startInProcess({ config: { tls: { cert, key }, broker: { concurrency: 1 } } });
  try {
    assert.match(tls.url, /^https:/);
    const untrusted = await run([`-host=${tls.url}`, '--status']);
    assert.equal(untrusted.code, 3, untrusted.err);
    assert.match(untrusted.err, /DEPTH_ZERO_SELF_SIGNED_CERT: its certificate is not signed by a CA trusted here; pass the CA's PEM file with --ca FILE/);
    for (const [args, env] of [[['--ca', cert], {}], [[], { NODE_EXTRA_CA_CERTS: cert }]] as const) {
      const trusted = await run([`-host=${tls.url}`, ...args, '--status'], { env });
      assert.equal(trusted.code, 0, trusted.err);
      assert.match(trusted.out, /^Concurrency: +1$/m);
    }
    const missing = await run([`-host=${tls.url}`, '--ca', path.join(dir, 'nope.pem'), '--status']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^bl-console: --ca: cannot read .*nope\.pem: ENOENT/);
  } finally {
    await tls.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
