// The dashboard's entry point: wires the views to the API and to the live event stream.
// Every change the page shows comes from a re-fetch of the JSON API, triggered by /events
// (debounced in Refresher) or by the page's own actions; keep-alive times, which have no
// event, are refreshed every few seconds while the page is visible, and relative times move
// on every second without a fetch.
import type { BrokerJson, JobJson, ListJson, TasksJson } from '../../contract/types.js';
import { AllocationsView } from './allocations-view.js';
import { adoptTokenFromUrl, api, ApiError, getToken, setToken, whenUnauthorized } from './api.js';
import { renderBroker } from './broker-view.js';
import { byId, fill, h, tickTimes } from './dom.js';
import { JobDetail } from './job-detail.js';
import { JobsView } from './jobs-view.js';
import { LiveEvents, Refresher, type LiveState } from './live.js';
import { LogView } from './log-view.js';
import { submitForm } from './submit-form.js';
import { TasksView } from './tasks-view.js';

adoptTokenFromUrl();

const noticeEl = byId('notice');
let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function notice(message: string, kind: 'error' | 'info' = 'error'): void {
  noticeEl.textContent = message;
  noticeEl.dataset.kind = kind;
  noticeEl.hidden = false;
  if (noticeTimer) clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (noticeEl.hidden = true), 8000);
}
noticeEl.addEventListener('click', () => (noticeEl.hidden = true));

/** Runs an action; a refusal shows its one-line message, and the areas it touches reload. */
async function act(what: string, fn: () => Promise<unknown>, ...areas: Area[]): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) notice(`${what}: ${(e as Error).message}`);
  } finally {
    refresh.mark(...areas);
  }
}

const enc = encodeURIComponent;
const logView = new LogView(byId('log-view'));
byId('all-logs').addEventListener('click', () => logView.open(null));
const tasks = new TasksView(byId('tasks'), byId('stopped-tasks'), {
  log: (t) => logView.open(t),
  start: (t) => act(`Start ${t}`, () => api('POST', `tasks/${enc(t)}/start`), 'tasks'),
  // wait=0: the answer comes at once; the workers' exits arrive as events.
  stop: (t) => act(`Stop ${t}`, () => api('POST', `tasks/${enc(t)}/stop?wait=0`), 'tasks'),
  scale: (t, n) => act(`Set cardinality of ${t}`, () => api('POST', `tasks/${enc(t)}/set/cardinality/${n}`), 'tasks'),
});

const detail = new JobDetail(
  byId('job-detail'),
  (id) => act(`Cancel ${id}`, () => api('DELETE', `jobs/${enc(id)}`), 'job', 'jobs', 'broker'),
  () => selectJob(null),
);
function selectJob(id: string | null): void {
  for (const tr of document.querySelectorAll('tr[data-job]')) tr.classList.toggle('selected', tr.getAttribute('data-job') === id);
  // Brought into view once loaded: scrolled while it says "Loading…" it would sit at the
  // bottom of the window and grow out of it, its header and Kill button last in view.
  void detail.show(id).then(() => id && id === detail.selected && byId('job-detail').scrollIntoView({ block: 'nearest', behavior: 'smooth' }));
}
const jobs = new JobsView(byId('jobs'), selectJob, () => detail.selected);

byId('submit').appendChild(
  submitForm(
    (job: JobJson) => {
      refresh.mark('jobs', 'broker');
      selectJob(job.id);
    },
    (m) => notice(m),
  ),
);

const allocations = new AllocationsView(byId('allocations'), {
  add: () => act('Add allocation', () => api('POST', 'broker/allocations', { count: 1 }), 'broker'),
  cancel: (id) => act(`Cancel allocation ${id}`, () => api('DELETE', `broker/allocations/${enc(id)}`), 'broker'),
  resume: () => act('Resume allocations', () => api('POST', 'broker/allocations/resume'), 'broker'),
});

const summary = byId('summary');
async function loadTasks(): Promise<void> {
  const [active, known] = await Promise.all([api<TasksJson>('GET', 'tasks'), api<ListJson>('GET', 'list')]);
  tasks.update(active.tasks, known.tasks);
  const t = tasks.totals(active.tasks);
  fill(
    summary,
    h('span', null, `${active.tasks.length} task${active.tasks.length === 1 ? '' : 's'} running`),
    h('span', { class: t.live < t.desired ? 'warn' : '' }, `${t.live} / ${t.desired} workers`),
    t.flapping ? h('span', { class: 'warn' }, `${t.flapping} flapping`) : null,
    t.backoff ? h('span', { class: 'warn' }, `${t.backoff} backing off`) : null,
    t.waiting ? h('span', null, `${t.waiting} waiting for the tasks they require`) : null,
  );
}

async function loadBroker(): Promise<void> {
  try {
    const b = await api<BrokerJson>('GET', 'broker');
    renderBroker(byId('broker'), b, {
      concurrency: (d) => act('Concurrency', () => api('POST', `broker/concurrency/${d > 0 ? 'increase' : 'decrease'}`), 'broker'),
    });
    allocations.update(b.allocations);
  } catch (e) {
    if (e instanceof ApiError && e.status === 503) {
      fill(byId('broker'), h('p', { class: 'muted' }, e.message));
      allocations.update(undefined);
    } else throw e;
  }
}

type Area = 'tasks' | 'broker' | 'jobs' | 'job';
const refresh = new Refresher<Area>({ tasks: loadTasks, broker: loadBroker, jobs: () => jobs.load(), job: () => detail.load() });

const liveEl = byId('live');
const LIVE_TEXT: Record<LiveState, string> = { live: 'live', connecting: 'connecting…', down: 'disconnected' };
const live = new LiveEvents({
  state: (s) => {
    liveEl.dataset.state = s;
    liveEl.textContent = LIVE_TEXT[s];
    // EventSource does not say why it was refused: a fetch does (a 401 opens the token form).
    if (s === 'down') refresh.mark('tasks');
  },
  opened: () => refresh.all(),
  event: (topic, data) => {
    if (topic.startsWith('worker.') || topic.startsWith('task.')) refresh.mark('tasks');
    else if (topic.startsWith('job.')) {
      refresh.mark('broker', 'jobs');
      if (data.id === detail.selected) refresh.mark('job');
    } else if (topic.startsWith('broker.')) refresh.mark('broker', ...(topic === 'broker.purged' ? (['jobs', 'job'] as Area[]) : []));
    // Slurm allocations are part of GET /broker.
    else if (topic.startsWith('alloc.')) refresh.mark('broker');
    else if (topic === 'resync') refresh.all();
    else if (topic === 'daemon.stopping') notice('The daemon is shutting down.', 'info');
  },
});

// The token form: shown on any 401 when the page has no basic credentials to fall back on.
const authBox = byId('auth');
const tokenInput = byId<HTMLInputElement>('token');
const logout = byId<HTMLButtonElement>('logout');
logout.hidden = getToken() === null;
let tokenTried = false;
whenUnauthorized(() => {
  if (!authBox.hidden) return;
  if (tokenTried) notice('That token was refused.');
  tokenTried = false;
  authBox.hidden = false;
  byId('app').hidden = true;
  live.stop();
  liveEl.dataset.state = 'down';
  liveEl.textContent = 'signed out';
  tokenInput.focus();
});
byId<HTMLFormElement>('auth-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken(tokenInput.value.trim() || null);
  tokenTried = true;
  tokenInput.value = '';
  authBox.hidden = true;
  byId('app').hidden = false;
  logout.hidden = getToken() === null;
  refresh.all();
  live.start();
});
logout.addEventListener('click', () => {
  setToken(null);
  location.reload();
});

setInterval(() => {
  if (document.visibilityState !== 'visible' || !authBox.hidden) return;
  refresh.mark('tasks');
  if (detail.running) refresh.mark('job');
}, 3000);
setInterval(() => document.visibilityState === 'visible' && tickTimes(), 1000);
document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && refresh.all());

byId('host').textContent = location.host;
byId('boot').remove();
byId('app').hidden = false;
// Load at once rather than when the stream opens: a refused page shows its token form now.
refresh.all();
live.start();
