// allowed_commands (a prefix check, as golang-job-runner's): a job whose command does not start
// with a listed prefix is refused with 403 naming it and the prefixes; the check sees a sweep's
// commands after substitution, and an http job's URL.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../../helpers/in-process.js';
import { submit, waitState } from '../../../helpers/jobs.js';

describe('allowed_commands', () => {
  let d: InProcessDaemon;
  let server: Server;
  let port: number;
  const PREFIXES = '/bin/echo, http://127.0.0.1:';
  before(async () => {
    server = createServer((_req, res) => res.writeHead(200).end('reached\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    d = await startInProcess({ config: { broker: { concurrency: 4 }, allowed_commands: ['/bin/echo', 'http://127.0.0.1:'] } });
  });
  after(async () => {
    await d.cleanup();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
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
    await refused({ command: 'rm -rf /tmp/x', cwd: d.dir }, /^command "rm -rf \/tmp\/x" does not start with one of/);
    await refused({ argv: ['/bin/sh', '-c', 'echo'], cwd: d.dir }, /^command "\/bin\/sh -c echo"/);
    const t = await d.request('POST', `/jobs?cwd=${d.dir}`, 'touch nope');
    assert.equal(t.status, 403);
    assert.match(t.text, /^ERROR: command "touch nope" does not start with one of allowed_commands \(\/bin\/echo, http:\/\/127\.0\.0\.1:\); nothing was submitted\n$/);
  });

  it('runs an allowed command, as a string or argv', async () => {
    const [a, b] = await submit(d, [
      { command: '/bin/echo allowed', cwd: d.dir },
      { argv: ['/bin/echo', 'also'], cwd: d.dir },
    ]);
    for (const j of [a!, b!]) assert.equal((await waitState(d, j.id, ['succeeded', 'failed'])).state, 'succeeded');
    assert.equal((await d.request('GET', `/jobs/${a!.id}/log`)).text, 'allowed\n');
    assert.equal((await d.request('GET', `/jobs/${b!.id}/log`)).text, 'also\n');
  });

  it('checks a sweep after substitution: one refused combination refuses the whole submit', async () => {
    const ok = await d.api('POST', '/jobs', { command: '{prog} {n}', cwd: d.dir, params: { prog: ['/bin/echo'], n: [1, 2] } });
    assert.equal(ok.jobs.length, 2);
    for (const j of ok.jobs) assert.equal((await waitState(d, j.id, ['succeeded', 'failed'])).state, 'succeeded');
    await refused({ command: '{prog} {n}', cwd: d.dir, params: { prog: ['/bin/echo', '/bin/rm'], n: [1] } }, /^command "\/bin\/rm 1"/);
  });

  it('refuses an http job unless a prefix matches its URL', async () => {
    await refused({ url: `http://localhost:${port}/x` }, /^http job URL "http:\/\/localhost:\d+\/x" does not start with one of/);
    const [j] = await submit(d, { url: `http://127.0.0.1:${port}/x` });
    const done = await waitState(d, j!.id, ['succeeded', 'failed']);
    assert.deepEqual([done.state, done.reason], ['succeeded', 'HTTP 200'], 'allowed, and run');
  });
});
