// http jobs and sweep jobs on a bl-launcher run as on the built-in launcher (both call
// startRun): with local_slots 0 only the launcher runs jobs; the http verdict (no exit code,
// `HTTP 200`) and the sweep's BL_OUTPUT_DIR come back from it the same way.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { startLauncher, type TestLauncher } from './launcher-helpers.js';
import { submit, waitState } from '../helpers/jobs.js';

describe('http and sweep jobs on a bl-launcher', () => {
  let d: InProcessDaemon;
  let l: TestLauncher;
  let server: Server;
  let base: string;
  let work: string;
  before(async () => {
    server = createServer((req, res) => res.writeHead(req.url === '/ok' ? 200 : 503).end('from the test server\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    d = await startInProcess({ config: { broker: { concurrency: 2, local_slots: 0 } } });
    work = path.join(d.dir, 'work');
    mkdirSync(work);
    l = startLauncher({ url: d.url, name: 'far', slots: 2, stateDir: path.join(work, 'launcher') });
  });
  after(async () => {
    l.cleanup();
    await d.cleanup();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('runs an http job remotely: 2xx succeeds, 503 fails, no exit code', async () => {
    const [ok, bad] = await submit(d, [{ url: `${base}/ok` }, { url: `${base}/down` }]);
    const a = await waitState(d, ok!.id, ['succeeded', 'failed'], 20000);
    const b = await waitState(d, bad!.id, ['succeeded', 'failed'], 20000);
    assert.deepEqual([a.state, a.launcher, a.exit_code, a.reason], ['succeeded', 'far', null, 'HTTP 200'], l.err);
    assert.deepEqual([b.state, b.exit_code, b.reason], ['failed', null, 'HTTP 503 Service Unavailable']);
  });

  it('runs sweep jobs remotely, each in its own BL_OUTPUT_DIR', async () => {
    const r = await d.api('POST', '/jobs', { command: 'echo {n} > "$BL_OUTPUT_DIR/n"', cwd: work, params: { n: [1, 2] } });
    for (const j of r.jobs) assert.equal((await waitState(d, j.id, ['succeeded', 'failed'], 20000)).launcher, 'far');
    for (const n of [1, 2]) {
      const dir = path.join(work, 'bl-runs', createHash('sha256').update(`{"n":${n}}`).digest('hex'));
      assert.equal(readFileSync(path.join(dir, 'n'), 'utf8'), `${n}\n`);
    }
  });
});

// allowed_commands on a bl-launcher: the allowed URLs travel with the job, and the launcher
// follows a redirect only to one of them, as the daemon's own launcher does.
describe('redirects of http jobs on a bl-launcher, under allowed_commands', () => {
  let d: InProcessDaemon;
  let l: TestLauncher;
  let server: Server;
  let other: Server;
  let base: string;
  const otherHits: string[] = [];
  before(async () => {
    other = createServer((req, res) => {
      otherHits.push(req.url!);
      res.writeHead(200).end('stolen\n');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherPort = (other.address() as AddressInfo).port;
    server = createServer((req, res) => {
      if (req.url === '/allowed/in') res.writeHead(307, { Location: '/allowed/landed' }).end();
      else if (req.url === '/allowed/out') res.writeHead(302, { Location: `http://localhost:${otherPort}/stolen` }).end();
      else res.writeHead(200).end(`reached ${req.url}\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    d = await startInProcess({ config: { broker: { concurrency: 2, local_slots: 0 }, allowed_commands: [`${base}/allowed`] } });
    const work = path.join(d.dir, 'work');
    mkdirSync(work);
    l = startLauncher({ url: d.url, name: 'far', slots: 2, stateDir: path.join(work, 'launcher') });
  });
  after(async () => {
    l.cleanup();
    await d.cleanup();
    for (const s of [server, other]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('follows a redirect within the list and refuses one to another host', async () => {
    const [inside, out] = await submit(d, [{ url: `${base}/allowed/in`, method: 'POST', body: { a: 1 } }, { url: `${base}/allowed/out` }]);
    const a = await waitState(d, inside!.id, ['succeeded', 'failed'], 20000);
    const b = await waitState(d, out!.id, ['succeeded', 'failed'], 20000);
    assert.deepEqual([a.state, a.launcher, a.reason], ['succeeded', 'far', 'HTTP 200'], l.err);
    assert.match((await d.request('GET', `/jobs/${inside!.id}/log`)).text, /< HTTP 307 Temporary Redirect\n> POST http:\/\/127\.0\.0\.1:\d+\/allowed\/landed\n< HTTP 200 OK\nreached \/allowed\/landed/);
    assert.deepEqual([b.state, b.launcher], ['failed', 'far']);
    assert.match(b.reason!, /^HTTP 302 Found: redirect to http:\/\/localhost:\d+\/stolen not followed: it is not at or below a URL allowed_commands names$/);
    assert.deepEqual(otherHits, [], 'the other host was never asked');
  });
});
