// The dashboard in a real browser (Chromium) against a daemon: the page shows a task's
// workers, scaling it from the page changes the real process count and the page follows
// without a reload, a job submitted from the page runs and shows its log, and the other
// actions (concurrency, kill a job, stop and start a task) do what they say.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { waitForProcessCount, workerPids } from '../../helpers/tasks.js';
import { ensureDashboardBuilt, launchChromium } from '../../helpers/browser.js';

const TASK = 'DashboardPool';
let d: InProcessDaemon;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  ensureDashboardBuilt();
  [d, browser] = await Promise.all([
    startInProcess({ config: { tasks: { [TASK]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0 } }, broker: { concurrency: 2 } } }),
    launchChromium(),
  ]);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Generous: under a loaded CI machine a job or a spawn can take seconds.
  page.setDefaultTimeout(20000);
});

after(async () => {
  await browser?.close();
  await d?.cleanup();
});

const card = () => page.locator(`article[data-task="${TASK}"]`);
const shownPids = async () => (await card().locator('tr[data-pid]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-pid'))))).sort();

async function waitForShownPids(expected: number[]): Promise<void> {
  const want = JSON.stringify([...expected].sort());
  await page.waitForFunction(
    ([task, w]) => JSON.stringify([...document.querySelectorAll(`article[data-task="${task}"] tr[data-pid]`)].map((r) => Number(r.getAttribute('data-pid'))).sort()) === w,
    [TASK, want] as const,
  );
}

test('the page shows the task and its workers', async () => {
  await waitForProcessCount(TASK, 2);
  await page.goto(d.url + '/');
  await page.locator('#live[data-state="live"]').waitFor();
  await waitForShownPids(await workerPids(d, TASK));
  assert.match(await card().locator('.count').innerText(), /^2 \/ 2 workers$/);
  assert.equal(await card().locator('.badge').first().innerText(), 'running');
  // A mark on the window: a reload would wipe it.
  await page.evaluate(() => ((window as unknown as { blMark: number }).blMark = 42));
});

test('scaling from the page changes the real processes, and the page follows without a reload', async () => {
  await card().locator('input[name="cardinality"]').fill('4');
  await card().getByRole('button', { name: 'Set' }).click();
  const four = await waitForProcessCount(TASK, 4);
  await waitForShownPids(await workerPids(d, TASK));
  assert.equal(four.length, 4);
  await page.locator(`article[data-task="${TASK}"] .count`, { hasText: '4 / 4 workers' }).waitFor();

  await card().getByRole('button', { name: 'one worker less' }).click();
  await waitForProcessCount(TASK, 3);
  await page.locator(`article[data-task="${TASK}"] .count`, { hasText: '3 / 3 workers' }).waitFor();
  await waitForShownPids(await workerPids(d, TASK));
  assert.equal((await shownPids()).length, 3);
  assert.equal(await page.evaluate(() => (window as unknown as { blMark?: number }).blMark), 42, 'the page was not reloaded');
});

test('a job submitted from the page runs and its log tail shows', async (t) => {
  const marker = `dashboard-job-${process.pid}`;
  await page.locator('input[name="command"]').fill(`echo ${marker}`);
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  // The page opens the new job and shows its output once it has ended.
  await page.locator('pre.log', { hasText: marker }).waitFor();
  await page.locator('#job-detail .badge', { hasText: 'succeeded' }).waitFor();
  const row = page.locator('tr[data-job]', { hasText: `echo ${marker}` });
  await row.locator('.badge', { hasText: 'succeeded' }).waitFor();
  const id = await row.getAttribute('data-job');
  const job = await d.api('GET', `/jobs/${id}`);
  assert.equal(job.state, 'succeeded');
  assert.equal(job.command, `echo ${marker}`);

  await page.evaluate(() => window.scrollTo(0, 0));
  const shot = path.join(d.dir, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('.task-grid').waitFor();
  const phone = path.join(d.dir, 'dashboard-phone.png');
  await page.screenshot({ path: phone, fullPage: true });
  // On a phone-width window nothing but the tables' own scroll areas is wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 390px window`);
  assert.equal(await page.evaluate(() => (window as unknown as { blMark?: number }).blMark), 42, 'the page was not reloaded');
  assert.deepEqual(pageErrors, []);
  // The temp dir goes at the end of the run; BL_SCREENSHOT_DIR keeps copies to look at.
  const keep = process.env.BL_SCREENSHOT_DIR;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    for (const f of [shot, phone]) copyFileSync(f, path.join(keep, path.basename(f)));
  }
  t.diagnostic(`screenshots: ${keep ?? d.dir}/dashboard.png, dashboard-phone.png`);
});

test('the other actions: concurrency ±, kill a running job, stop and start a task', async () => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('button', { name: 'increase concurrency' }).click();
  await page.locator('[data-concurrency="3"]').waitFor();
  assert.equal((await d.api('GET', '/broker')).concurrency, 3);
  await page.getByRole('button', { name: 'decrease concurrency' }).click();
  await page.locator('[data-concurrency="2"]').waitFor();
  assert.equal((await d.api('GET', '/broker')).concurrency, 2);

  await page.locator('input[name="command"]').fill('sleep 300');
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.locator('#job-detail .badge', { hasText: 'running' }).waitFor();
  const kill = page.locator('#job-detail').getByRole('button', { name: 'Kill' });
  await kill.click();
  await page.locator('#job-detail').getByRole('button', { name: 'Kill this job?' }).click();
  await page.locator('#job-detail .badge', { hasText: 'cancelled' }).waitFor();
  const cancelled = (await d.api('GET', '/jobs?state=completed')).jobs.find((j: { command: string }) => j.command === 'sleep 300');
  assert.equal(cancelled?.state, 'cancelled');

  await card().getByRole('button', { name: 'Stop' }).click();
  await card().getByRole('button', { name: 'Stop all workers?' }).click();
  await waitForProcessCount(TASK, 0);
  // A stopped task leaves the cards for the list of stopped tasks, with its Start button.
  const stopped = page.locator(`#stopped-tasks li[data-task="${TASK}"]`);
  await stopped.waitFor();
  await stopped.getByRole('button', { name: 'Start' }).click();
  await waitForProcessCount(TASK, 3);
  await waitForShownPids(await workerPids(d, TASK));
  assert.equal(await page.evaluate(() => (window as unknown as { blMark?: number }).blMark), 42, 'the page was not reloaded');
  assert.deepEqual(pageErrors, []);
});
