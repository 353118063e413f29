// The dashboard's Slurm allocations panel in a real browser (Chromium), as an operator meets it:
// hidden for a daemon without Slurm; a row an allocation with its time left counting down
// without a fetch; rows that follow the `alloc.*` events without a reload; Add, Cancel (asked
// twice, and still armed across a refresh), an allocation Slurm is ending, the pause with its
// Resume; a refusal said in the daemon's words; a phone-width window.
//
// A real bl-daemon over a real one-node Slurm (test/helpers/slurm-daemon.ts: one pilot fills
// the node, so one allocation runs and the next wait in Slurm's queue). It starts without
// broker.slurm; a config reload adds the block and, at the end, takes it away.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { submit, waitJob } from '../../helpers/jobs.js';
import { startSlurmDaemon, type Scene, type SlurmDaemon } from '../../helpers/slurm-daemon.js';
import { ensureDashboardBuilt, launchChromium } from '../../helpers/browser.js';

let s: SlurmDaemon;
let scene: Scene;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const DRAINED = 'sbatch: error: Batch job submission failed: Required partition not available (inactive or drain)';

before(async () => {
  ensureDashboardBuilt();
  [s, browser] = await Promise.all([startSlurmDaemon({ withSlurm: false }), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(30000);
});

after(async () => {
  await browser?.close();
  await s?.stop();
});

const panel = () => page.locator('#allocations');
const row = (id: string | number) => page.locator(`tr[data-alloc="${id}"]`);
const cell = (id: string | number, cls: string) => row(id).locator(`td.${cls}`);

async function shot(name: string): Promise<void> {
  const file = path.join(s.d.dir, name);
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
  await page.goto(s.d.url + '/');
  await page.locator('#live[data-state="live"]').waitFor();
  await page.locator('[data-concurrency="2"]').waitFor();
  assert.equal(await panel().isHidden(), true);
});

test('with Slurm: a row an allocation (id, state, node, time left, jobs, connected, reason), the ended ones folded, time left counting down without a fetch', async () => {
  await s.reload(true);
  scene = await s.scene();
  const { running, pending, ended } = scene;
  await page.reload();
  await page.locator('#live[data-state="live"]').waitFor();
  await panel().waitFor();
  await row(running).waitFor();
  assert.equal(await panel().locator('h3').innerText(), 'Slurm allocations');
  assert.equal(await panel().locator('.alloc-counts').innerText(), '1 running · 1 pending');
  assert.deepEqual(await page.locator('#allocations > .table-wrap tr[data-alloc]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-alloc'))), [running, pending]);
  assert.equal(await row(running).locator('.badge').innerText(), 'running');
  assert.equal(await cell(running, 'node').innerText(), s.slurm.node);
  assert.match(await cell(running, 'left').innerText(), /^(50|49|48) min \d+ s$/);
  assert.equal(await cell(running, 'jobs').innerText(), '1');
  assert.equal(await cell(running, 'connected').innerText(), 'yes');
  assert.equal(await row(pending).locator('.badge').innerText(), 'pending');
  assert.deepEqual([await cell(pending, 'node').innerText(), await cell(pending, 'left').innerText(), await cell(pending, 'connected').innerText()], ['–', '–', 'no']);
  assert.match(await cell(pending, 'reason').innerText(), /^waiting in Slurm: \w+$/);
  assert.equal(await row(pending).getByRole('button', { name: 'Cancel' }).count(), 1);

  // The ended one: folded below, with why, and nothing to cancel.
  const folded = panel().locator('details.alloc-ended');
  assert.equal(await folded.locator('summary').innerText(), 'Ended (1)');
  assert.equal(await row(ended).isVisible(), false, 'folded');
  await folded.locator('summary').click();
  assert.equal(await cell(ended, 'reason').innerText(), `cancelled by DELETE /broker/allocations/${ended}`);
  assert.equal(await row(ended).getByRole('button').count(), 0);

  // Nothing happens: the page asks for nothing, yet the time left moves.
  const fetches: string[] = [];
  const onRequest = (r: { url(): string }) => /\/broker/.test(r.url()) && fetches.push(r.url());
  page.on('request', onRequest);
  const was = await cell(running, 'left').innerText();
  await page.waitForFunction(([id, w]) => document.querySelector(`tr[data-alloc="${id}"] td.left`)?.textContent !== w, [running, was] as const);
  assert.match(await cell(running, 'left').innerText(), /^(49|48|47) min \d+ s$/);
  page.off('request', onRequest);
  assert.deepEqual(fetches, [], 'the time moved without a fetch');
  await page.evaluate(() => ((window as unknown as { blMark: number }).blMark = 42));
  await shot('dashboard-allocations.png');
});

test('the rows follow the alloc.* events without a reload: one cancelled elsewhere ends, the queued one starts and its pilot connects', async () => {
  const { running, pending, ended } = scene;
  const r = await s.d.request('DELETE', `/broker/allocations/${running}`);
  assert.equal(r.status, 202, r.text);
  await page.locator('details.alloc-ended summary', { hasText: 'Ended (2)' }).waitFor();
  assert.equal(await row(running).locator('.badge').innerText(), 'ended');
  assert.equal(await cell(running, 'reason').innerText(), `cancelled by DELETE /broker/allocations/${running}`);
  assert.deepEqual(await page.locator('details.alloc-ended tr[data-alloc]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-alloc'))), [running, ended], 'the latest ended first');

  // Slurm starts the queued one on the freed node; its pilot connects.
  await row(pending).locator('.badge', { hasText: 'running' }).waitFor({ timeout: 60000 });
  assert.equal(await cell(pending, 'node').innerText(), s.slurm.node);
  await cell(pending, 'connected').filter({ hasText: 'yes' }).waitFor({ timeout: 60000 });
  assert.equal(await panel().locator('.alloc-counts').innerText(), '1 running');
  assert.equal(await page.evaluate(() => (window as unknown as { blMark?: number }).blMark), 42, 'the page was not reloaded');
});

test('Add allocation submits one; Cancel asks first, stays armed across a refresh, then cancels; a running one is ending while Slurm stops its job', async () => {
  const sbatches = s.calls.count('sbatch');
  const added = Number(scene.ended) + 1;
  await panel().getByRole('button', { name: 'Add allocation' }).click();
  await row(added).locator('.badge', { hasText: 'pending' }).waitFor();
  assert.equal(s.calls.count('sbatch'), sbatches + 1);

  const cancel = row(added).getByRole('button', { name: 'Cancel' });
  await cancel.click();
  await row(added).getByRole('button', { name: 'Cancel allocation?' }).waitFor();
  // A refresh in between (another allocation submitted elsewhere) leaves the question as it was.
  const refreshed = nextBroker();
  const [another] = await s.add();
  await refreshed;
  await row(another!).waitFor();
  await row(added).getByRole('button', { name: 'Cancel allocation?' }).click();
  await row(added).locator('.badge', { hasText: 'ended' }).waitFor();
  assert.equal(await cell(added, 'reason').innerText(), `cancelled by DELETE /broker/allocations/${added}`);
  assert.match(s.slurm.run('squeue', ['-h', '-t', 'all', '-j', String(added), '-o', '%T']), /^CANCELLED$/m);

  // A running one with a job that ignores SIGTERM: Slurm ends it once the job is stopped
  // (bl-launcher's kill grace), and meanwhile it is `ending`, with its time left and nothing
  // more to cancel.
  const { pending: runs } = scene;
  const [job] = await submit(s.d, { command: "trap '' TERM; sleep 600", cwd: s.d.dir });
  await waitJob(s.d, job!.id, `to run on slurm-${runs}`, (j) => j.state === 'running' && j.launcher === `slurm-${runs}`, 60000);
  await row(runs).getByRole('button', { name: 'Cancel' }).click();
  await row(runs).getByRole('button', { name: 'Cancel allocation?' }).click();
  await row(runs).locator('.badge', { hasText: 'ending' }).waitFor();
  assert.match(await cell(runs, 'left').innerText(), /^\d+ min \d+ s$/);
  assert.equal(await row(runs).getByRole('button').count(), 0);
  await row(runs).locator('.badge', { hasText: 'ended' }).waitFor();
  // Its job went back to the queue, not lost; it is not wanted any more.
  const back = await waitJob(s.d, job!.id, 'to be back in the queue', (j) => j.state === 'pending' || (j.state === 'running' && j.launcher !== `slurm-${runs}`), 30000);
  assert.ok(back.attempt >= 1);
  assert.match(String((await s.d.request("DELETE", `/jobs/${job!.id}`)).status), /^20[02]$/);
  assert.deepEqual(pageErrors, []);
});

test('a pause shows as a warning with Resume, which clears it', async () => {
  const why = `sbatch failed 3 times in a row: ${DRAINED}`;
  const warning = panel().locator('.alloc-paused');
  s.drain();
  try {
    for (let i = 0; i < 3; i++) {
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/broker/allocations' && r.request().method() === 'POST');
      await panel().getByRole('button', { name: 'Add allocation' }).click();
      assert.equal((await answered).status(), 503);
      await page.locator('#notice', { hasText: `Add allocation: sbatch failed: ${DRAINED}` }).waitFor();
    }
  } finally {
    s.undrain();
  }
  await warning.waitFor();
  assert.equal(await warning.locator('span').first().innerText(), `New allocations are paused: ${why}`);
  await shot('dashboard-allocations-paused.png');
  await warning.getByRole('button', { name: 'Resume' }).click();
  await warning.waitFor({ state: 'hidden' });
  assert.equal((await s.list()).paused, null);
});

test('on a phone-width window the panel fits', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await panel().scrollIntoViewIfNeeded();
  await shot('dashboard-allocations-phone.png');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 390px window`);
  // Cancel whole inside the card, not cut off by the table's scroll area.
  const live = (await s.list()).allocations.find((a) => a.state === 'pending' || a.state === 'running')!;
  const [button, card] = await Promise.all([row(live.id).getByRole('button', { name: 'Cancel' }).boundingBox(), panel().boundingBox()]);
  assert.ok(button && card && button.x + button.width <= card.x + card.width, `Cancel ${JSON.stringify(button)} inside the card ${JSON.stringify(card)}`);
  assert.equal(await page.locator('#allocations > .table-wrap').evaluate((w) => w.scrollWidth - w.clientWidth), 0, 'the live table needs no sideways scroll');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('Slurm gone from the config: Add is refused in the daemon’s words, and the panel goes', async () => {
  await s.reload(false);
  await panel().getByRole('button', { name: 'Add allocation' }).click();
  await page.locator('#notice', { hasText: 'Add allocation: no broker.slurm in the config' }).waitFor();
  // The action's refresh reads GET /broker, which no longer has `allocations`.
  await panel().waitFor({ state: 'hidden' });
  assert.deepEqual(pageErrors, []);
});
