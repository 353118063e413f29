// The dashboard and /events under auth: without credentials the data routes and the page
// answer 401 (the page with the basic challenge and its token form as the body); with the
// token (header or ?token=) or the basic credentials, all of it works, in a real browser too.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { waitForProcessCount } from '../../helpers/tasks.js';
import { ensureDashboardBuilt, launchChromium } from '../../helpers/browser.js';
import { openSse } from '../../helpers/sse-reader.js';

const TASK = 'GuardedPool';
const TOKEN = 'dash-token-5f3a';
let d: InProcessDaemon;
let browser: Browser;

before(async () => {
  ensureDashboardBuilt();
  [d, browser] = await Promise.all([
    startInProcess({ config: { auth: { token: TOKEN, basic: 'ops:s3cret' }, tasks: { [TASK]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } } } }),
    launchChromium(),
  ]);
  await waitForProcessCount(TASK, 1);
});

after(async () => {
  await browser?.close();
  await d?.cleanup();
});

test('without credentials: 401 on the page, the data and the event stream', async () => {
  const page = await d.request('GET', '/');
  assert.equal(page.status, 401);
  assert.match(page.headers.get('www-authenticate') ?? '', /^Basic /);
  assert.match(page.text, /<form id="auth-form"/, 'the 401 carries the page with its token form');
  assert.doesNotMatch(page.text, new RegExp(TASK), 'and no data');
  for (const p of ['/tasks', '/events', '/metrics', '/jobs', '/broker']) {
    const r = await d.request('GET', p, undefined, { Accept: 'application/json' });
    assert.equal(r.status, 401, p);
  }
  assert.equal((await d.request('GET', '/events?token=wrong')).status, 401);
  // The page's code and style hold no data and are open, so a token page can load them.
  assert.equal((await d.request('GET', '/dashboard/main.js')).status, 200);
  assert.equal((await d.request('GET', '/dashboard/style.css')).status, 200);
});

test('with the token: the page, the API and /events (?token= as EventSource sends it)', async () => {
  assert.equal((await d.request('GET', `/?token=${TOKEN}`)).status, 200);
  assert.equal((await d.request('GET', '/', undefined, { Authorization: `Bearer ${TOKEN}` })).status, 200);
  assert.equal((await d.request('GET', '/metrics', undefined, { Authorization: `Bearer ${TOKEN}` })).status, 200);
  const s = await openSse(`${d.url}/events?token=${TOKEN}`);
  try {
    assert.equal(s.status, 200);
    await d.request('POST', `/tasks/${TASK}/set/cardinality/2`, undefined, { Authorization: `Bearer ${TOKEN}` });
    await s.next('task.scaled', (e) => e.event === 'task.scaled' && e.data.task === TASK);
  } finally {
    s.close();
  }
  await waitForProcessCount(TASK, 2);
});

test('in a browser, token only: the 401 page is the token form, which opens the dashboard, live', async () => {
  // A daemon with a token and no basic: no browser prompt, the page's own form instead.
  // (With basic set, the browser prompts first; cancelling the prompt shows the same form.)
  const tokenOnly = await startInProcess({ config: { auth: { token: TOKEN }, tasks: { GuardedToken: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } } } });
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    const first = await page.goto(tokenOnly.url + '/');
    assert.equal(first?.status(), 401);
    await page.locator('#auth').waitFor();
    await page.locator('#token').fill('not-the-token');
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.locator('#notice', { hasText: 'That token was refused.' }).waitFor();
    await page.locator('#auth').waitFor();
    await page.locator('#token').fill(TOKEN);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.locator('article[data-task="GuardedToken"] tr[data-pid]').first().waitFor();
    await page.locator('#live[data-state="live"]').waitFor();
    // The token is kept: a reload opens the dashboard straight away.
    await page.reload();
    await page.locator('article[data-task="GuardedToken"]').waitFor();
    assert.ok(await page.locator('#auth').isHidden());
    await page.locator('#live[data-state="live"]').waitFor();
  } finally {
    await ctx.close();
    await tokenOnly.cleanup();
  }
});

test('in a browser, basic credentials: the page and its live updates', async () => {
  const basic = await browser.newContext({ httpCredentials: { username: 'ops', password: 's3cret' } });
  try {
    const page = await basic.newPage();
    const res = await page.goto(d.url + '/');
    assert.equal(res?.status(), 200);
    await page.locator(`article[data-task="${TASK}"] tr[data-pid]`).first().waitFor();
    await page.locator('#live[data-state="live"]').waitFor();
    assert.ok(await page.locator('#auth').isHidden());
  } finally {
    await basic.close();
  }
});
