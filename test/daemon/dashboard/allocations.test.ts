// The dashboard's Slurm allocations panel in a real browser (Chromium), as an operator meets it:
// hidden for a daemon without Slurm; a row an allocation with its time left counting down
// without a fetch; rows that follow the `alloc.*` events without a reload; Add, Cancel (asked
// twice, and still armed across a refresh), the pause with its Resume; a refusal said in the
// daemon's words; a phone-width window.
//
// The daemon is real (tasks, jobs, GET /events); its allocation routes are being built in
// parallel, so GET /broker's `allocations` and /broker/allocations… come from the contract's
// fake (test/helpers/fake-allocations.ts) through page.route, and the fake's `alloc.*` events
// go out on the real daemon's bus. Once the daemon has them: start it with `broker.slurm` on the
// test Slurm (test/helpers/slurm.ts) and drop the routes.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { FakeAllocations } from '../../helpers/fake-allocations.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { ensureDashboardBuilt, launchChromium } from '../../helpers/browser.js';

let d: InProcessDaemon;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const allocs = new FakeAllocations();
/** What the daemon has: Slurm configured (the fake answers) or not (no `allocations`, 409s). */
let slurm = false;

before(async () => {
  ensureDashboardBuilt();
  [d, browser] = await Promise.all([startInProcess({ config: { broker: { concurrency: 1 } } }), launchChromium()]);
  allocs.onEvent = (topic, data) => void d.services.events.publish(topic, data);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(20000);
  await page.route(
    (url) => url.pathname === '/broker',
    async (route) => {
      const res = await route.fetch();
      const b = (await res.json()) as Record<string, unknown>;
      await route.fulfill({ response: res, json: slurm ? { ...b, allocations: allocs.json() } : b });
    },
  );
  await page.route(
    (url) => url.pathname.startsWith('/broker/allocations'),
    async (route) => {
      const req = route.request();
      const r = FakeAllocations.handle(slurm ? allocs : null, req.method(), new URL(req.url()).pathname, req.postData() ?? '', /json/.test(req.headers().accept ?? ''))!;
      await route.fulfill({ status: r.status, contentType: r.contentType, body: r.body });
    },
  );
});

after(async () => {
  await browser?.close();
  await d?.cleanup();
});

const panel = () => page.locator('#allocations');
const row = (id: string) => page.locator(`tr[data-alloc="${id}"]`);
const cell = (id: string, cls: string) => row(id).locator(`td.${cls}`);

async function shot(name: string): Promise<void> {
  const file = path.join(d.dir, name);
  await page.screenshot({ path: file, fullPage: true });
  const keep = process.env.BL_SCREENSHOT_DIR;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    copyFileSync(file, path.join(keep, name));
  }
}

/** Waits until the page has fetched GET /broker again and drawn it (after an event or an action). */
function nextBroker(): Promise<unknown> {
  return page.waitForResponse((r) => new URL(r.url()).pathname === '/broker');
}

test('a daemon without broker.slurm: no allocations panel', async () => {
  await page.goto(d.url + '/');
  await page.locator('#live[data-state="live"]').waitFor();
  await page.locator('[data-concurrency="1"]').waitFor();
  assert.equal(await panel().isHidden(), true);
});

test('with Slurm: a row an allocation (id, state, node, time left, jobs, connected, reason), the ended ones folded, time left counting down without a fetch', async () => {
  slurm = true;
  allocs.add({ id: '3999', state: 'ended', node: 'cn03', jobs_run: 40, ended_at: new Date(Date.now() - 60_000).toISOString(), reason: 'reached its time limit (walltime 01:00:00)' });
  allocs.add({ id: '4001' });
  allocs.start('4001', 'cn01', 10 * 60);
  allocs.get('4001').jobs_run = 12;
  allocs.add({ id: '4002' });
  await page.reload();
  await page.locator('#live[data-state="live"]').waitFor();
  await panel().waitFor();
  await row('4001').waitFor();
  assert.equal(await panel().locator('h3').innerText(), 'Slurm allocations');
  assert.equal(await panel().locator('.alloc-counts').innerText(), '1 running · 1 pending');
  assert.deepEqual(await page.locator('#allocations > .table-wrap tr[data-alloc]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-alloc'))), ['4001', '4002']);
  assert.equal(await row('4001').locator('.badge').innerText(), 'running');
  assert.equal(await cell('4001', 'node').innerText(), 'cn01');
  assert.match(await cell('4001', 'left').innerText(), /^(10 min 0 s|9 min \d+ s)$/);
  assert.equal(await cell('4001', 'jobs').innerText(), '12');
  assert.equal(await cell('4001', 'connected').innerText(), 'yes');
  assert.equal(await row('4002').locator('.badge').innerText(), 'pending');
  assert.deepEqual([await cell('4002', 'node').innerText(), await cell('4002', 'left').innerText(), await cell('4002', 'connected').innerText()], ['–', '–', 'no']);
  assert.equal(await row('4002').getByRole('button', { name: 'Cancel' }).count(), 1);

  // The ended one: folded below, with why, and nothing to cancel.
  const ended = panel().locator('details.alloc-ended');
  assert.equal(await ended.locator('summary').innerText(), 'Ended (1)');
  assert.equal(await row('3999').isVisible(), false, 'folded');
  await ended.locator('summary').click();
  assert.equal(await cell('3999', 'reason').innerText(), 'reached its time limit (walltime 01:00:00)');
  assert.equal(await row('3999').getByRole('button').count(), 0);

  // Nothing happens: the page asks for nothing, yet the time left moves.
  const fetches: string[] = [];
  page.on('request', (r) => /\/broker/.test(r.url()) && fetches.push(r.url()));
  const was = await cell('4001', 'left').innerText();
  await page.waitForFunction((w) => document.querySelector('tr[data-alloc="4001"] td.left')?.textContent !== w, was);
  assert.match(await cell('4001', 'left').innerText(), /^9 min \d+ s$/);
  assert.deepEqual(fetches, [], 'the time moved without a fetch');
  await page.evaluate(() => ((window as unknown as { blMark: number }).blMark = 42));
  await shot('dashboard-allocations.png');
});

test('the rows follow the alloc.* events without a reload', async () => {
  allocs.start('4002', 'cn02', 30 * 60);
  await row('4002').locator('.badge', { hasText: 'running' }).waitFor();
  assert.equal(await cell('4002', 'node').innerText(), 'cn02');
  assert.equal(await cell('4002', 'connected').innerText(), 'yes');
  assert.equal(await panel().locator('.alloc-counts').innerText(), '2 running');

  allocs.end('4001', 'its launcher exited: no job for 60 s');
  await page.locator('details.alloc-ended summary', { hasText: 'Ended (2)' }).waitFor();
  assert.equal(await row('4001').locator('.badge').innerText(), 'ended');
  assert.equal(await cell('4001', 'reason').innerText(), 'its launcher exited: no job for 60 s');
  assert.deepEqual(await page.locator('details.alloc-ended tr[data-alloc]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-alloc'))), ['4001', '3999'], 'the latest ended first');
  assert.equal(await page.evaluate(() => (window as unknown as { blMark?: number }).blMark), 42, 'the page was not reloaded');
});

test('Add allocation submits one; Cancel asks first, stays armed across a refresh, then cancels', async () => {
  allocs.calls.length = 0;
  await panel().getByRole('button', { name: 'Add allocation' }).click();
  await row('4003').locator('.badge', { hasText: 'pending' }).waitFor();
  assert.deepEqual(allocs.calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path} ${c.body}`), ['POST /broker/allocations {"count":1}']);

  const cancel = row('4003').getByRole('button', { name: 'Cancel' });
  await cancel.click();
  await row('4003').getByRole('button', { name: 'Cancel allocation?' }).waitFor();
  // A refresh in between (another allocation starts) leaves the question as it was.
  const refreshed = nextBroker();
  allocs.add({ id: '4004' });
  allocs.onEvent('alloc.submitted', { id: '4004' });
  await refreshed;
  await row('4004').waitFor();
  await row('4003').getByRole('button', { name: 'Cancel allocation?' }).click();
  await row('4003').locator('.badge', { hasText: 'ended' }).waitFor();
  assert.equal(await cell('4003', 'reason').innerText(), 'cancelled');
  assert.ok(allocs.calls.some((c) => c.method === 'DELETE' && c.path === '/broker/allocations/4003'));

  // A running one is being ended by Slurm: `ending`, still with its time left, nothing more to cancel.
  await row('4002').getByRole('button', { name: 'Cancel' }).click();
  await row('4002').getByRole('button', { name: 'Cancel allocation?' }).click();
  await row('4002').locator('.badge', { hasText: 'ending' }).waitFor();
  assert.match(await cell('4002', 'left').innerText(), /^\d+ min \d+ s$/);
  assert.equal(await row('4002').getByRole('button').count(), 0);
  assert.deepEqual(pageErrors, []);
});

test('a pause shows as a warning with Resume, which clears it', async () => {
  const why = 'sbatch failed 3 times in a row: sbatch: error: Batch job submission failed: Invalid partition name specified';
  allocs.pause(why);
  const warning = panel().locator('.alloc-paused');
  await warning.waitFor();
  assert.equal(await warning.locator('span').first().innerText(), `New allocations are paused: ${why}`);
  await shot('dashboard-allocations-paused.png');
  await warning.getByRole('button', { name: 'Resume' }).click();
  await warning.waitFor({ state: 'hidden' });
  assert.equal(allocs.paused, null);
  assert.ok(allocs.calls.some((c) => c.method === 'POST' && c.path === '/broker/allocations/resume'));
});

test('on a phone-width window the panel fits', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await panel().scrollIntoViewIfNeeded();
  await shot('dashboard-allocations-phone.png');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 390px window`);
  // Cancel whole inside the card, not cut off by the table's scroll area.
  const [button, card] = await Promise.all([row('4004').getByRole('button', { name: 'Cancel' }).boundingBox(), panel().boundingBox()]);
  assert.ok(button && card && button.x + button.width <= card.x + card.width, `Cancel ${JSON.stringify(button)} inside the card ${JSON.stringify(card)}`);
  assert.equal(await page.locator('#allocations > .table-wrap').evaluate((w) => w.scrollWidth - w.clientWidth), 0, 'the live table needs no sideways scroll');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('Slurm gone from the config: Add is refused in the daemon’s words, and the panel goes', async () => {
  slurm = false;
  await panel().getByRole('button', { name: 'Add allocation' }).click();
  await page.locator('#notice', { hasText: 'Add allocation: no broker.slurm in the config' }).waitFor();
  // The action's refresh reads GET /broker, which no longer has `allocations`.
  await panel().waitFor({ state: 'hidden' });
  assert.deepEqual(pageErrors, []);
});
