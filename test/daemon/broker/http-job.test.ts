// http jobs against a small HTTP server the test runs on 127.0.0.1: a 2xx answer
// succeeds, a 500 fails, a slow answer past the walltime times out, a cancel aborts; the log
// has the request, the status line and the body.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { freePort } from '../../helpers/net.js';
import { waitFor } from '../../helpers/wait.js';
import { submit, waitState } from '../../helpers/jobs.js';

describe('http jobs', () => {
  let d: InProcessDaemon;
  let server: Server;
  let base: string;
  const received: { method: string; url: string; body: string; type: string | undefined }[] = [];
  let slowOpen = 0;

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, body, type: req.headers['content-type'] });
        if (req.url === '/ok') res.writeHead(200, { 'Content-Type': 'text/plain' }).end('all good\n');
        else if (req.url === '/created') res.writeHead(201).end();
        else if (req.url === '/fail') res.writeHead(500).end('boom\n');
        else if (req.url === '/big') res.writeHead(200).end('x'.repeat(200 * 1024));
        else if (req.url === '/slow') {
          // Never answers: only the job's walltime or a cancel ends it.
          slowOpen++;
          res.on('close', () => slowOpen--);
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    d = await startInProcess({ config: { broker: { concurrency: 4 } } });
  });
  after(async () => {
    await d.cleanup();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const log = async (id: string) => (await d.request('GET', `/jobs/${id}/log`)).text;

  /** How many job runs bl_job_run_seconds has counted, all labels together. */
  const runsCounted = async () => {
    const metrics = (await d.request('GET', '/metrics')).text;
    return [...metrics.matchAll(/^bl_job_run_seconds_count(?:\{[^}]*\})? (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  };

  it('succeeds on 200 with no exit code, and logs the status line and body', async () => {
    const runsBefore = await runsCounted();
    const [j] = await submit(d, { http: { url: `${base}/ok`, method: 'GET' } });
    assert.equal(j!.command, null);
    assert.deepEqual(j!.http, { url: `${base}/ok`, method: 'GET', body: null });
    const done = await waitState(d, j!.id, ['succeeded', 'failed']);
    assert.deepEqual([done.state, done.exit_code, done.reason], ['succeeded', null, 'HTTP 200']);
    assert.equal(await log(j!.id), `> GET ${base}/ok\n< HTTP 200 OK\nall good\n`);
    const text = await d.request('GET', `/jobs/${j!.id}`);
    assert.match(text.text, new RegExp(`Command:\\tGET ${base}/ok`));
    // Its start was an event too (no process, no pid): the run time is measured from it.
    assert.equal(await runsCounted(), runsBefore + 1, 'bl_job_run_seconds counted the http job');
  });

  it("takes TaskPusher's flat url/method/body; a JSON body is sent as JSON", async () => {
    const [j] = await submit(d, { url: `${base}/created`, method: 'post', body: { n: 1 } });
    const done = await waitState(d, j!.id, ['succeeded', 'failed']);
    assert.deepEqual([done.state, done.reason], ['succeeded', 'HTTP 201']);
    const got = received.find((r) => r.url === '/created');
    assert.deepEqual(got, { method: 'POST', url: '/created', body: '{"n":1}', type: 'application/json' });
  });

  it('fails on 500 with the status in the reason and the log', async () => {
    const [j] = await submit(d, { url: `${base}/fail` });
    const done = await waitState(d, j!.id, ['succeeded', 'failed']);
    assert.deepEqual([done.state, done.exit_code, done.reason], ['failed', null, 'HTTP 500 Internal Server Error']);
    assert.match(await log(j!.id), /^< HTTP 500 Internal Server Error\nboom\n$/m);
  });

  it('fails with the network error when nothing listens', async () => {
    const port = await freePort();
    const [j] = await submit(d, { url: `http://127.0.0.1:${port}/` });
    const done = await waitState(d, j!.id, ['succeeded', 'failed']);
    assert.equal(done.state, 'failed');
    assert.match(done.reason!, /cannot reach http:\/\/127\.0\.0\.1:\d+\/: ECONNREFUSED/);
  });

  it('times out a slow answer past the walltime, and the request is gone', async () => {
    const [j] = await submit(d, { url: `${base}/slow`, timeout: 1 });
    const done = await waitState(d, j!.id, ['succeeded', 'failed', 'timed_out']);
    assert.deepEqual([done.state, done.reason], ['timed_out', 'walltime of 1 s exceeded']);
    const ran = Date.parse(done.finished_at!) - Date.parse(done.started_at!);
    assert.ok(ran >= 1000, `ended ${ran} ms after its start, not before its walltime`);
    await waitFor('the server to see the request closed', () => slowOpen === 0);
  });

  it('cancels a running http job by aborting its request', async () => {
    const [j] = await submit(d, { url: `${base}/slow` });
    await waitFor('the request to reach the server', () => slowOpen === 1);
    const r = await d.request('DELETE', `/jobs/${j!.id}`);
    assert.equal(r.status, 202);
    const done = await waitState(d, j!.id, 'cancelled');
    assert.equal(done.reason, 'cancelled by request');
    await waitFor('the server to see the request closed', () => slowOpen === 0);
  });

  it('keeps at most 64 KiB of a body in the log', async () => {
    const [j] = await submit(d, { url: `${base}/big` });
    await waitState(d, j!.id, 'succeeded');
    assert.equal(await log(j!.id), `> GET ${base}/big\n< HTTP 200 OK\n${'x'.repeat(64 * 1024)}\nbl: body truncated after 65536 bytes\n`);
  });

  it('refuses a bad URL or method with 400 and a message', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ url: 'ftp://example.com/x' }, /expected `url` to be an http or https URL, found "ftp:\/\/example.com\/x" \(ftp\)/],
      [{ http: { url: 'not a url' } }, /expected `http.url` to be an http or https URL.*\(not a URL\)/],
      [{ http: { url: `${base}/ok`, method: 'FETCH' } }, /expected `http.method` to be one of GET, HEAD/],
      [{ url: `${base}/ok`, method: 'GET', body: 'x' }, /a GET request cannot have a `body`/],
      [{ url: `${base}/ok`, command: 'echo' }, /found both a command and a request/],
      [{ http: { url: `${base}/ok`, verb: 'GET' } }, /unknown field `http.verb`/],
    ];
    for (const [body, re] of cases) {
      const r = await d.request('POST', '/jobs', body, { Accept: 'application/json' });
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.error.message, re);
    }
  });
});
