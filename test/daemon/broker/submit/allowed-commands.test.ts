// allowed_commands (golang-job-runner's prefix check, kept): a job whose command does not start
// with a listed prefix is refused with 403 naming it and the prefixes; the check sees a sweep's
// commands after substitution, and an http job's URL.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../../helpers/daemon.js';
import { submit, waitState } from '../../../helpers/jobs.js';

describe('allowed_commands', () => {
  let d: TestDaemon;
  let work: string;
  const PREFIXES = '/bin/echo, http://127.0.0.1:';
  before(async () => {
    d = await startDaemon({ config: { broker: { concurrency: 4 }, allowed_commands: ['/bin/echo', 'http://127.0.0.1:'] } });
    work = mkdtempSync(path.join(tmpdir(), 'bl-allowed-'));
  });
  after(async () => {
    await d.stop();
    d.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  async function refused(body: unknown, re: RegExp): Promise<void> {
    const before = (await d.api('GET', '/broker')).counts;
    const r = await d.request('POST', '/jobs', body, { Accept: 'application/json' });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'forbidden');
    assert.match(r.json.error.message, re);
    assert.ok(r.json.error.message.includes(`allowed_commands (${PREFIXES})`), r.json.error.message);
    assert.deepEqual((await d.api('GET', '/broker')).counts, before, 'nothing was submitted');
  }

  it('refuses a command without an allowed prefix with 403, in text too', async () => {
    await refused({ command: 'rm -rf /tmp/x', cwd: work }, /^command "rm -rf \/tmp\/x" \(string\) does not start with one of/);
    await refused({ argv: ['/bin/sh', '-c', 'echo'], cwd: work }, /^command "\/bin\/sh -c echo" \(string\)/);
    const t = await d.request('POST', `/jobs?cwd=${work}`, 'touch nope');
    assert.equal(t.status, 403);
    assert.match(t.text, /^ERROR: command "touch nope" \(string\) does not start with one of allowed_commands \(\/bin\/echo, http:\/\/127\.0\.0\.1:\); nothing was submitted\n$/);
  });

  it('runs an allowed command, as a string or argv', async () => {
    const [a, b] = await submit(d, [
      { command: '/bin/echo allowed', cwd: work },
      { argv: ['/bin/echo', 'also'], cwd: work },
    ]);
    for (const j of [a!, b!]) assert.equal((await waitState(d, j.id, ['succeeded', 'failed'])).state, 'succeeded');
    assert.equal((await d.request('GET', `/jobs/${a!.id}/log`)).text, 'allowed\n');
  });

  it('checks a sweep after substitution: one refused combination refuses the whole submit', async () => {
    const ok = await d.api('POST', '/jobs', { command: '{prog} {n}', cwd: work, params: { prog: ['/bin/echo'], n: [1, 2] } });
    assert.equal(ok.jobs.length, 2);
    for (const j of ok.jobs) assert.equal((await waitState(d, j.id, ['succeeded', 'failed'])).state, 'succeeded');
    await refused({ command: '{prog} {n}', cwd: work, params: { prog: ['/bin/echo', '/bin/rm'], n: [1] } }, /^command "\/bin\/rm 1" \(string\)/);
  });

  it('refuses an http job unless a prefix matches its URL', async () => {
    await refused({ url: 'http://localhost:1/x' }, /^http job URL "http:\/\/localhost:1\/x" \(string\) does not start with one of/);
    // Port 9 (discard) refuses the connection: allowed, then failed, is what this shows.
    const [j] = await submit(d, { url: 'http://127.0.0.1:9/x' });
    assert.equal((await waitState(d, j!.id, ['succeeded', 'failed'])).state, 'failed');
  });
});
