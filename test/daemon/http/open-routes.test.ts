// Under auth, what answers without credentials: every route the daemon has, with every method,
// asked with no credentials, is a 401, except /healthz (its counters) and the dashboard's page
// (a 401 too, carrying the static page) and its script and style files, which are served byte
// for byte from the files the build made: static assets, no data (in-process, real HTTP).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { waitForProcessCount } from '../../helpers/tasks.js';
import { ensureDashboardBuilt } from '../../helpers/browser.js';
import { dashboardPublicPaths, SCRIPT_DIR, SOURCE_DIR } from '../../../daemon/http/routes/dashboard.js';
import { uniq } from '../../helpers/uniq.js';

const TASK = uniq('Secret');
const TOKEN = 'open-routes-token-81c2';
let d: InProcessDaemon;

before(async () => {
  ensureDashboardBuilt();
  d = await startInProcess({ config: { auth: { token: TOKEN }, tasks: { [TASK]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } } } });
  await waitForProcessCount(TASK, 1);
  await d.request('POST', '/jobs', { command: `echo ${TASK}`, cwd: '/' }, { Authorization: `Bearer ${TOKEN}` });
});
after(() => d?.cleanup());

test('without credentials every route but /healthz and the static dashboard files is a 401', async () => {
  const help = await d.request('GET', '/help', undefined, { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json' });
  const routes = help.json.routes as { methods: string[]; path: string }[];
  assert.ok(routes.length > 30, `the route list: ${routes.length}`);
  const open: string[] = [];
  for (const r of routes) {
    // Parameters filled with names that exist, so a route that leaked would have data to leak.
    const p = r.path.replace(':name', TASK).replace(/:[a-z_]+/g, 'x');
    for (const m of r.methods.filter((x) => x !== 'HEAD')) {
      const res = await d.request(m, p, undefined, { Accept: 'application/json' });
      assert.doesNotMatch(res.text, new RegExp(TASK), `${m} ${p} names no task or job`);
      if (res.status !== 401) open.push(`${m} ${r.path}`);
    }
  }
  // /dashboard/x is no asset: only the files the next test reads are open.
  assert.deepEqual(open, ['GET /healthz']);
});

test('the open dashboard files are the build output as it is on disk, the page a 401', async () => {
  const paths = dashboardPublicPaths();
  assert.ok(paths.includes('/dashboard/main.js') && paths.includes('/dashboard/style.css'));
  for (const p of paths) {
    const res = await fetch(d.url + p);
    const body = Buffer.from(await res.arrayBuffer());
    if (p === '/') {
      assert.equal(res.status, 401);
      assert.deepEqual(body, readFileSync(path.join(SOURCE_DIR, 'index.html')), 'the page as it is on disk');
      continue;
    }
    assert.equal(res.status, 200, p);
    const name = path.basename(p);
    const file = name.endsWith('.js') ? path.join(SCRIPT_DIR, name) : path.join(SOURCE_DIR, name);
    assert.deepEqual(body, readFileSync(file), `${p} is ${file} as it is`);
  }
  assert.equal((await fetch(`${d.url}/dashboard/..%2Fconfig.json`)).status, 401, 'nothing else under /dashboard/');
});
