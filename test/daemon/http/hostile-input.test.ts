// What a faulty or hostile client sends gets a 4xx with a message that cannot reach into the
// terminal that reads it, never a 500 or a reset (in-process, real HTTP): JSON nested 100,000
// deep, a method no route knows (TRACE), control bytes in a value the error quotes, a chunked
// body over the limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';

const T = uniq('Task');
let d: InProcessDaemon;
before(async () => {
  d = await startInProcess({ config: { tasks: { [T]: { cmd: 'sleep', args: ['1000'], stall_timeout: 0, autostart: false } } } });
});
after(() => d?.cleanup());

test('JSON nested 100,000 deep is a 400 naming the depth, not a 500', async () => {
  const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
  // The keep-alive route takes 64 KiB: 30,000 deep fits.
  for (const [p, deep] of [['/jobs', nest(100_000)], [`/tasks/${T}/workers/2/alive`, nest(30_000)]] as const) {
    const r = await d.request('POST', p, deep, { 'Content-Type': 'application/json' });
    assert.equal(r.status, 400, `${p}: ${r.text}`);
    assert.match(r.text, /^ERROR: expected a JSON body nested at most \d+ deep, found one nested deeper/);
  }
  // An object nest, and one hidden in a string-free run of objects, are caught the same way.
  const objects = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
  const r = await d.request('POST', '/jobs', objects, { 'Content-Type': 'application/json' });
  assert.equal(r.status, 400, r.text);
  // Brackets inside strings are text, not nesting.
  const ok = await d.request('POST', `/tasks/${T}/workers/2/alive`, JSON.stringify({ status: 'running', info: '['.repeat(5000) }), { 'Content-Type': 'application/json' });
  assert.equal(ok.status, 404, ok.text);
  assert.match(ok.text, /not a worker/);
});

test('TRACE and unknown methods are a 405 with Allow, on a known path and on an unknown one', async () => {
  for (const method of ['TRACE', 'PROPFIND', 'PATCH']) {
    const r = await raw(method, `/tasks/${T}`);
    assert.equal(r.status, 405, `${method}: ${r.body}`);
    assert.match(r.headers.allow ?? '', /GET/);
    assert.match(r.body, new RegExp(`^ERROR: method ${method} is not allowed on /tasks/${T}; allowed: .*GET`));
  }
  const r = await raw('TRACE', '/no/such/path');
  assert.equal(r.status, 405, r.body);
  assert.match(r.headers.allow ?? '', /^(?=.*\bGET\b)(?=.*\bPOST\b)(?!.*TRACE)/);
});

test('control bytes a message quotes are escaped in text errors', async () => {
  const r = await d.request('GET', `/tasks/x%1B%5B2J%07%00y%0Dz`);
  assert.equal(r.status, 404);
  assert.doesNotMatch(r.text, /[\x00-\x08\x0b-\x1f\x7f]/, 'no control byte but the final newline');
  assert.match(r.text, /x\\u001b\[2J\\u0007\\u0000y\\rz/);
  const j = await d.request('GET', `/tasks/x%1B%5B2Jy`, undefined, { Accept: 'application/json' });
  assert.match(j.json.error.message, /x\u001b\[2Jy/, 'JSON carries the value as it came (JSON escapes it)');
});

test('a chunked body over the limit is a 413 the client reads, not a reset', async () => {
  const r = await raw('POST', `/tasks/${T}/workers/2/alive`, { chunks: 40, chunk: 'x'.repeat(8 * 1024) });
  assert.equal(r.status, 413, r.body);
  assert.match(r.body, /^ERROR: request body is over the limit of 65536 bytes/);
  assert.equal((await d.request('GET', '/healthz')).status, 200);
});

/** A request through node:http (fetch refuses TRACE and streams bodies its own way). */
function raw(method: string, p: string, body?: { chunks: number; chunk: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(d.url + p, { method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) {
      // No Content-Length: node sends Transfer-Encoding: chunked. Written as fast as the
      // socket takes it; the server may answer before the last chunk.
      let i = 0;
      const more = () => {
        while (i < body.chunks) {
          i++;
          if (!req.write(body.chunk)) return void req.once('drain', more);
        }
        req.end();
      };
      req.on('response', () => (i = body.chunks));
      more();
    } else req.end();
  });
}
