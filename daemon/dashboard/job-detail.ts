// One job: its fields, its log tail, and Cancel while it is pending or running.
import type { JobJson } from '../../contract/types.js';
import { api, apiText, ApiError } from './api.js';
import { badge, between, bytes, confirmButton, fill, h, liveTime, localTime } from './dom.js';
import { commandOf } from './jobs-view.js';

const LOG_LINES = 60;

export class JobDetail {
  private id: string | null = null;
  private job: JobJson | undefined;
  private button: { key: string; el: HTMLElement } | undefined;

  constructor(
    private readonly el: HTMLElement,
    private readonly cancel: (id: string) => Promise<void>,
    private readonly closed: () => void,
  ) {}

  get selected(): string | null {
    return this.id;
  }

  get running(): boolean {
    return this.job?.state === 'running' || this.job?.state === 'pending' || this.job?.state === 'waiting';
  }

  async show(id: string | null): Promise<void> {
    this.id = id;
    this.job = undefined;
    this.el.hidden = id === null;
    if (id === null) return;
    fill(this.el, h('p', { class: 'muted' }, `Loading job ${id}…`));
    await this.load();
  }

  async load(): Promise<void> {
    const id = this.id;
    if (id === null) return;
    let job: JobJson;
    let log = '';
    try {
      [job, log] = await Promise.all([api<JobJson>('GET', `jobs/${encodeURIComponent(id)}`), apiText(`jobs/${encodeURIComponent(id)}/log?tail=${LOG_LINES}`).catch(() => '')]);
    } catch (e) {
      if (id !== this.id) return;
      const gone = e instanceof ApiError && e.status === 404;
      fill(this.el, this.header(id, null), h('p', { class: 'muted' }, gone ? 'This job is no longer in the store (purged).' : `Could not load the job: ${(e as Error).message}`));
      return;
    }
    if (id !== this.id) return; // another job was picked meanwhile
    this.job = job;
    this.render(job, log);
  }

  /**
   * Cancel (pending) or Kill (running, asks twice). The same button is kept while the job stays
   * in that state: the refreshes of a running job must not disarm a Kill clicked once.
   */
  private action(job: JobJson): HTMLElement | null {
    if (job.state !== 'pending' && job.state !== 'running' && job.state !== 'waiting') return null;
    const key = `${job.id} ${job.state}`;
    if (this.button?.key !== key) {
      const el =
        job.state !== 'running'
          ? h('button', { type: 'button', class: 'danger', onclick: () => void this.cancel(job.id) }, 'Cancel')
          : confirmButton('Kill', 'Kill this job?', () => void this.cancel(job.id));
      this.button = { key, el };
    }
    return this.button.el;
  }

  private header(id: string, job: JobJson | null): HTMLElement {
    return h(
      'header',
      null,
      h('h3', { title: id }, 'Job ', h('span', { class: 'mono' }, `…${id.slice(-8)}`)),
      job ? badge(job.state) : null,
      h('span', { class: 'spacer' }),
      job ? this.action(job) : null,
      h('button', { type: 'button', class: 'small ghost', 'aria-label': 'close job detail', onclick: () => this.closed() }, '✕'),
    );
  }

  private render(j: JobJson, log: string): void {
    const row = (k: string, v: string | number | null | undefined | HTMLElement) => (v === null || v === undefined || v === '' ? null : [h('dt', null, k), h('dd', null, v)]);
    const u = j.usage;
    fill(
      this.el,
      this.header(j.id, j),
      h(
        'dl',
        { class: 'detail' },
        row('Id', h('span', { class: 'mono' }, j.id)),
        row('Command', h('code', null, commandOf(j))),
        row('Directory', j.cwd),
        row('Queue', j.queue),
        row(j.after_any ? 'After (any end)' : 'After', j.after?.length ? h('span', { class: 'mono' }, j.after.join(', ')) : null),
        row('Sweep', j.sweep ? h('span', { class: 'mono' }, j.sweep) : null),
        row('Attempt', j.retries ? `${j.attempt} of ${j.retries + 1}` : j.attempt),
        row('Submitted', localTime(j.submitted_at)),
        row('Started', j.started_at ? `${localTime(j.started_at)} (waited ${between(j.submitted_at, j.started_at)})` : null),
        row(j.finished_at ? 'Finished' : 'Running for', j.finished_at ? `${localTime(j.finished_at)} (ran ${between(j.started_at, j.finished_at)})` : j.started_at ? liveTime('since', j.started_at) : null),
        row('Exit', j.signal ? `signal ${j.signal}` : j.exit_code),
        row('Reason', j.reason),
        row('Process', j.pid ? `pid ${j.pid}${j.host ? ` on ${j.host}` : ''}${j.launcher ? ` (launcher ${j.launcher})` : ''}` : null),
        row('Usage', u ? `CPU max ${u.cpu_max.toFixed(0)} %, RSS max ${bytes(u.rss_max)}` : null),
        row('Timeout', j.timeout ? `${j.timeout} s` : null),
      ),
      h('h4', null, `Output (last ${LOG_LINES} lines)`),
      h('pre', { class: 'log', 'data-log': j.id }, log || (j.state === 'pending' || j.state === 'waiting' ? '(not started yet)' : '(no output)')),
    );
  }
}
