// With auth configured, every route but /healthz answers 401 without credentials — the routes
// are enumerated from the daemon's own router (GET /help), so a new route cannot slip through;
// wrong credentials are 401 without detail; https works with a certificate made here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInProcess } from '../../helpers/in-process.js';
import { selfSignedCert } from '../../helpers/net.js';

const TOKEN = 'tok-' + Math.random().toString(36).slice(2);
const BASIC = 'admin:p4ss word';

function fill(p: string): string {
  const values: Record<string, string> = { name: 'NoSuchTask', id: '01JAAAAAAAAAAAAAAAAAAAAAAA', pid: '2', option: 'cardinality', value: '1', n: '1' };
  return p.replace(/:(\w+)/g, (_, k: string) => values[k] ?? 'x');
}

test('every route but /healthz needs credentials; wrong ones are refused without detail', async () => {
  const d = await startInProcess({ config: { auth: { token: TOKEN, basic: BASIC }, tasks: {} } });
  try {
    const bearer = { Authorization: `Bearer ${TOKEN}` };
    const help = await d.request('GET', '/help?format=json', undefined, bearer);
    assert.equal(help.status, 200);
    const routes = (help.json.routes as { methods: string[]; path: string }[]).filter((r) => r.methods.length);
    // The list is the router's: every area's routes are in it (system, tasks, events, metrics,
    // dashboard, broker, launchers).
    const listed = new Set(routes.map((r) => r.path));
    for (const p of ['/healthz', '/shutdown', '/tasks', '/tasks/:name/workers/:pid/alive', '/events', '/metrics', '/', '/dashboard/:file', '/jobs', '/jobs/:id/log', '/broker', '/launchers/:name/lease']) {
      assert.ok(listed.has(p), `GET /help lists ${p}`);
    }
    const refusedPaths = new Set<string>();
    for (const r of routes) {
      for (const method of r.methods.filter((m) => m !== 'HEAD')) {
        const p = fill(r.path);
        const res = await d.request(method, p);
        if (r.path === '/healthz') {
          assert.equal(res.status, 200);
          continue;
        }
        assert.equal(res.status, 401, `${method} ${p} without credentials`);
        // The dashboard's page answers its 401 with the page shell (a token form), no data.
        if (!res.headers.get('content-type')?.startsWith('text/html')) assert.equal(res.text, 'ERROR: authentication required\n', `${method} ${p}: no detail`);
        refusedPaths.add(r.path);
      }
    }
    assert.deepEqual([...refusedPaths].sort(), [...listed].filter((p) => p !== '/healthz').sort(), 'every listed route was asked');
    for (const auth of [`Bearer ${TOKEN}x`, 'Bearer ', `Basic ${Buffer.from('admin:wrong').toString('base64')}`, `Basic ${Buffer.from(BASIC + 'x').toString('base64')}`, TOKEN, 'Digest abc']) {
      assert.equal((await d.request('GET', '/tasks', undefined, { Authorization: auth })).status, 401, auth);
    }
    const basicOk = await d.request('GET', '/tasks', undefined, { Authorization: `Basic ${Buffer.from(BASIC).toString('base64')}` });
    assert.equal(basicOk.status, 200);
    assert.equal((await d.request('GET', '/tasks', undefined, bearer)).status, 200);
    assert.equal((await d.request('GET', `/tasks?token=${TOKEN}`)).status, 200, 'a token in the query (EventSource cannot set headers)');
    const refused = await d.request('GET', '/tasks');
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic realm="bl"/, 'a browser gets its login prompt');
  } finally {
    await d.cleanup();
  }
});

function get(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
}

test('https with tls.cert and tls.key; a client without the CA refuses the certificate', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-test-'));
  const { key, cert } = selfSignedCert(dir);
  const d = await startInProcess({ dir, config: { tls: { cert, key }, auth: { token: TOKEN }, tasks: {} } });
  try {
    assert.match(d.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(cert);
    const health = await get(`${d.url}/healthz`, ca);
    assert.equal(health.status, 200);
    assert.match(health.body, /^ok\n/);
    assert.equal((await get(`${d.url}/tasks`, ca)).status, 401);
    assert.equal((await get(`${d.url}/tasks`, ca, { Authorization: `Bearer ${TOKEN}` })).status, 200);
    await assert.rejects(fetch(`${d.url}/healthz`), 'an unknown CA is refused by a default client');
  } finally {
    await d.cleanup();
  }
});
