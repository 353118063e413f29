// The dashboard as an operator spends a day with it (Chromium against an in-process daemon):
// jobs newest first with times that move on by themselves, a task's log live on the page, a
// failing task's card saying why, CPU and memory per task and worker, worker rows one line
// each, a notice that covers no button, placeholders that fit.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { submit, waitState } from '../../helpers/jobs.js';
import { taskJson, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';
import { ensureDashboardBuilt, launchChromium } from '../../helpers/browser.js';

const TALKER = 'Talker';
const FAILING = 'Failing';
const MISSING = '/nonexistent/bl-app.js';
/** Requires FAILING, which is never ready: it waits as long as the tests run. */
const WAITER = 'Waiter';
let d: InProcessDaemon;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  ensureDashboardBuilt();
  [d, browser] = await Promise.all([
    startInProcess({
      config: {
        tasks: {
          // exec: the line names the pid the worker keeps.
          [TALKER]: { cmd: 'sh', args: ['-c', 'echo "hello from worker $$"; exec sleep 1000'], stall_timeout: 0 },
          // A worker that cannot start: it prints its error, as Node would, and exits 1.
          [FAILING]: { cmd: 'sh', args: ['-c', `echo starting; echo "Error: Cannot find module '${MISSING}'" >&2; echo '    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)' >&2; exit 1`], stall_timeout: 0 },
          [WAITER]: { cmd: 'sleep', args: ['1000'], stall_timeout: 0, requires: [FAILING] },
        },
        broker: { concurrency: 2 },
      },
    }),
    launchChromium(),
  ]);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(20000);
  await waitForWorkers(d, TALKER, 1);
  await page.goto(d.url + '/');
  await page.locator('#live[data-state="live"]').waitFor();
});

after(async () => {
  await browser?.close();
  await d?.cleanup();
});

const card = (task: string) => page.locator(`article[data-task="${task}"]`);

async function shot(name: string): Promise<void> {
  const file = path.join(d.dir, name);
  await page.screenshot({ path: file, fullPage: true });
  const keep = process.env.BL_SCREENSHOT_DIR;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    copyFileSync(file, path.join(keep, name));
  }
}

test('jobs show the newest first, and their times move on without a refetch', async () => {
  const ids: string[] = [];
  for (const n of [1, 2, 3]) ids.push((await submit(d, { command: `echo job-${n}`, cwd: '/' }))[0]!.id);
  for (const id of ids) await waitState(d, id, 'succeeded');
  const rows = page.locator('table.jobs tbody tr[data-job]');
  await page.waitForFunction((id) => document.querySelector('table.jobs tbody tr[data-job]')?.getAttribute('data-job') === id, ids[2]);
  await page.locator(`tr[data-job="${ids[0]}"] .badge`, { hasText: 'succeeded' }).waitFor();
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-job'))), [...ids].reverse());

  // Nothing happens in the broker now: the page asks for no list, yet the times move. A fetch
  // set off by the jobs' last events may still be on its way when this starts, so the time is
  // watched until it moves once with no list fetched meanwhile: it never does if only a fetch
  // moves it.
  const listFetches: string[] = [];
  page.on('request', (r) => /\/jobs\?/.test(r.url()) && listFetches.push(r.url()));
  const cell = page.locator(`tr[data-job="${ids[2]}"] td.submitted`);
  for (;;) {
    const fetched = listFetches.length;
    const before = await cell.innerText();
    assert.match(before, /^\d+ s ago$/);
    await page.waitForFunction(([id, was]) => document.querySelector(`tr[data-job="${id}"] td.submitted`)?.textContent !== was, [ids[2]!, before] as const);
    assert.match(await cell.innerText(), /^\d+ s ago$/);
    if (listFetches.length === fetched) break;
  }

  await page.getByRole('button', { name: 'Newest first ↓' }).click();
  await page.waitForFunction((id) => document.querySelector('table.jobs tbody tr[data-job]')?.getAttribute('data-job') === id, ids[0]);
  assert.ok(listFetches.some((u) => /order=asc/.test(u)));
  await page.getByRole('button', { name: 'Oldest first ↑' }).click();
  await page.waitForFunction((id) => document.querySelector('table.jobs tbody tr[data-job]')?.getAttribute('data-job') === id, ids[2]);
});

test("a task's log view shows its workers' lines, and new ones as they come", async () => {
  const [first] = await waitForWorkers(d, TALKER, 1);
  await card(TALKER).getByRole('button', { name: 'Log' }).click();
  const view = page.locator('#log-view');
  await view.locator('pre', { hasText: `hello from worker ${first}` }).waitFor();
  assert.equal(await view.getAttribute('data-source'), TALKER);
  assert.equal(await view.locator('h3').innerText(), `Log of ${TALKER}`);
  await page.locator('#log-view[data-state="live"]').waitFor();
  // A worker started after the view opened: its line comes over the open stream.
  await d.api('POST', `/tasks/${TALKER}/set/cardinality/2`);
  const pids = await waitForWorkers(d, TALKER, 2);
  const second = pids.find((p) => p !== first)!;
  await view.locator('pre', { hasText: `hello from worker ${second}` }).waitFor();
  await shot('dashboard-task-log.png');
  await view.getByRole('button', { name: 'close the log' }).click();
  await view.waitFor({ state: 'hidden' });
});

test("every task's log (GET /tasks/log, each line `TASK PID | …`) in the same view", async () => {
  const [pid] = await waitForWorkers(d, TALKER, 2);
  await page.locator('#all-logs').click();
  const view = page.locator('#log-view[data-source="*"]');
  await view.locator('pre', { hasText: new RegExp(`${FAILING} \\d+ \\| Error: Cannot find module`) }).waitFor();
  await view.locator('pre', { hasText: `${TALKER} ${pid} | hello from worker ${pid}` }).waitFor();
  assert.equal(await view.locator('h3').innerText(), "All tasks' logs");
  await view.getByRole('button', { name: 'close the log' }).click();
});

test("a failing task's card says it backs off, and why: the last exit's message and its telling line", async () => {
  // The real worker: it exits 1 at once, so the task backs off.
  await waitFor(`${FAILING} to back off`, async () => ['backoff', 'flapping'].includes((await taskJson(d, FAILING)).state));
  await card(FAILING).locator('.note', { hasText: /^(Backing off|Flapping)/ }).waitFor();
  const state = (await card(FAILING).locator('header .badge').innerText()).trim();
  assert.ok(['backoff', 'flapping'].includes(state), state);

  // The task's last exit, as the daemon keeps it: the message names the telling line, the
  // output holds what the worker printed last.
  const last = await waitFor('the last exit with its output', async () => {
    const e = (await taskJson(d, FAILING)).last_exit;
    return e?.output.length ? e : undefined;
  });
  assert.equal(last.message, `exited 1: Error: Cannot find module '${MISSING}'`);
  const note = card(FAILING).locator('.note');
  await note.filter({ hasText: /^(Backing off|Flapping): exited 1: / }).waitFor();
  assert.match(await note.innerText(), new RegExp(`^(Backing off|Flapping): exited 1: Error: Cannot find module '${MISSING}'[.;]`));
  const details = card(FAILING).locator('details.last-exit');
  await page.waitForFunction(([task]) => /^Last exit: exited 1: .*\(pid \d+\), \d+ s ago$/.test(document.querySelector(`article[data-task="${task}"] details.last-exit summary`)?.textContent ?? ''), [FAILING] as const);
  await details.locator('summary').click();
  assert.match(await details.locator('pre').innerText(), new RegExp(`starting\\nError: Cannot find module '${MISSING}'\\n    at Module._resolveFilename`));
  await card(FAILING).scrollIntoViewIfNeeded();
  await shot('dashboard-failing-card.png');
});

test("a waiting task's card says what it waits for", async () => {
  assert.equal((await taskJson(d, WAITER)).state, 'waiting');
  await card(WAITER).locator('.badge[data-state="waiting"]').waitFor();
  const note = card(WAITER).locator('.note');
  await note.filter({ hasText: /^Waiting for / }).waitFor();
  assert.equal(await note.innerText(), `Waiting for ${FAILING} (0 of 1 worker ready) before its first worker starts.`);
  assert.equal(await card(WAITER).locator('.count').innerText(), '0 / 1 workers');
  await page.locator('#summary').filter({ hasText: '1 waiting for the tasks they require' }).waitFor();
});

test('CPU and memory per task and per worker, as the daemon samples them', async () => {
  const pids = await waitForWorkers(d, TALKER, 2);
  // Both workers sampled: the task's figure is their sum, and each row shows its own.
  const t = await waitFor('both workers sampled', async () => {
    const j = await taskJson(d, TALKER);
    return j.usage && j.workers.every((w: { usage: unknown }) => w.usage) ? j : undefined;
  });
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  // In a cgroup a worker's memory is what its group is charged, under a MiB for a shell that
  // sleeps (the libraries it shares are charged elsewhere): KiB then.
  const fact = card(TALKER).locator('.facts div', { hasText: 'CPU · memory' }).locator('dd');
  await page.waitForFunction((task) => /\d+ % · [\d.]+ [KM]iB/.test(document.querySelector(`article[data-task="${task}"] .facts`)?.textContent ?? ''), TALKER);
  assert.match(await fact.innerText(), /^\d+ % · [\d.]+ [KM]iB$/);
  for (const pid of pids) {
    const row = card(TALKER).locator(`tr[data-pid="${pid}"]`);
    await page.waitForFunction((sel) => /[KM]iB$/.test(document.querySelector(sel)?.textContent ?? ''), `article[data-task="${TALKER}"] tr[data-pid="${pid}"] td.rss`);
    assert.match(await row.locator('td.cpu').innerText(), /^\d+ %$/);
    assert.match(await row.locator('td.rss').innerText(), /^[\d.]+ [KM]iB$/);
  }
  assert.ok(t.usage.rss_bytes > 0, mib(t.usage.rss_bytes));
});

test("one line a worker: a long info is cut, and all of it shows on hover", async () => {
  const [pid] = await waitForWorkers(d, TALKER, 2);
  const info = `processing batch 7 of 12 from queue incoming-orders; ${'last item ok; '.repeat(10)}`.trim();
  await d.api('POST', `/tasks/${TALKER}/workers/${pid}/alive`, { info });
  const cell = card(TALKER).locator(`tr[data-pid="${pid}"] td.info`);
  await page.waitForFunction(([task, p]) => (document.querySelector(`article[data-task="${task}"] tr[data-pid="${p}"] td.info`)?.textContent ?? '') !== '', [TALKER, pid] as const);
  assert.equal(await cell.getAttribute('title'), info);
  assert.ok(await cell.evaluate((td) => td.scrollWidth > td.clientWidth), 'the text is cut');
  // The lines its text takes: one line box per distinct top of the text's rectangles.
  const lines = await cell.evaluate((td) => {
    const range = document.createRange();
    range.selectNodeContents(td);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  });
  assert.equal(lines, 1, 'the long info takes no second line');
});

test('the placeholders of the submit form fit, and a notice covers no Kill button', async () => {
  const cutOff = () =>
    page.evaluate(() =>
      [...document.querySelectorAll<HTMLInputElement>('form.submit input[placeholder]')]
        .filter((input) => {
          const css = getComputedStyle(input);
          const ctx = document.createElement('canvas').getContext('2d')!;
          ctx.font = `${css.fontStyle} ${css.fontWeight} ${css.fontSize} ${css.fontFamily}`;
          const room = input.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight);
          return ctx.measureText(input.placeholder).width > room;
        })
        .map((input) => input.name),
    );
  assert.deepEqual(await cutOff(), []);
  await page.setViewportSize({ width: 390, height: 844 });
  assert.deepEqual(await cutOff(), [], 'on a phone too');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Submitted from the page: the form says so itself, and the job opens.
  await page.locator('input[name="command"]').fill('sleep 300');
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.locator('#job-detail .badge', { hasText: 'running' }).waitFor();
  assert.match(await page.locator('.submit-box .hint').innerText(), /^Submitted job …\w{8}: sleep 300$/);
  assert.equal(await page.locator('#notice').isVisible(), false, 'no notice over the page for a submit');
  // A refused submit: its notice must leave the running job's Kill button free.
  await page.locator('input[name="command"]').fill('true');
  await page.locator('input[name="cwd"]').fill('/no/such/dir');
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.locator('#notice', { hasText: 'Submit failed' }).waitFor();
  await page.locator('input[name="cwd"]').fill('');
  const kill = page.locator('#job-detail').getByRole('button', { name: 'Kill' });
  // The page scrolls the job into view smoothly, and playwright's fills above scroll too: which
  // ends where is a race. What is checked is the notice, over a Kill button in view.
  await kill.scrollIntoViewIfNeeded();
  const free = await kill.evaluate((b) => {
    const r = b.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return top === b || b.contains(top);
  });
  assert.ok(free, 'the Kill button is not under the notice');
  // Wherever the page is scrolled, the notice and the open job (its Kill button) do not meet.
  const overlap = await page.evaluate(() => {
    const a = document.getElementById('notice')!.getBoundingClientRect();
    const b = document.getElementById('job-detail')!.getBoundingClientRect();
    return Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  });
  assert.equal(overlap, 0, 'the notice lies over none of the job detail');
  await shot('dashboard-notice.png');
  await kill.click({ trial: true });
  await kill.click();
  await page.locator('#job-detail').getByRole('button', { name: 'Kill this job?' }).click();
  await page.locator('#job-detail .badge', { hasText: 'cancelled' }).waitFor();
  assert.deepEqual(pageErrors, []);
});
