// The jobs list: a tab per filter of GET /jobs, newest first unless the operator turns it,
// pages of PAGE_SIZE with next/previous (the API pages forward with `after`; the cursors seen
// are kept for going back), a row per job. Its relative times move on by themselves.
import type { JobJson, JobListFilter, JobPageJson } from '../../contract/types.js';
import { api } from './api.js';
import { badge, between, fill, h, liveTime } from './dom.js';

const PAGE_SIZE = 25;
const FILTERS: { id: JobListFilter | 'all'; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'waiting', label: 'Waiting' },
  { id: 'pending', label: 'Pending' },
  { id: 'running', label: 'Running' },
  { id: 'completed', label: 'Completed' },
  { id: 'errors', label: 'Errors' },
];

export function commandOf(j: JobJson): string {
  if (j.command !== null) return j.command;
  if (j.argv) return j.argv.join(' ');
  return j.http ? `${j.http.method} ${j.http.url}` : '';
}

export class JobsView {
  private filter: JobListFilter | 'all' = 'all';
  private order: 'desc' | 'asc' = 'desc';
  /** `after` cursor of each page up to the current one (null = first page). */
  private cursors: (string | null)[] = [null];
  private next: string | null = null;
  private readonly tabs = h('div', { class: 'tabs', role: 'tablist' });
  private readonly orderButton = h('button', { type: 'button', class: 'small ghost order', 'data-order': 'desc' });
  private readonly body = h('tbody');
  private readonly pager = h('div', { class: 'pager' });

  constructor(
    root: HTMLElement,
    private readonly select: (id: string) => void,
    private selected: () => string | null,
  ) {
    this.orderButton.addEventListener('click', () => {
      this.order = this.order === 'desc' ? 'asc' : 'desc';
      this.cursors = [null];
      this.renderOrder();
      void this.load();
    });
    this.renderOrder();
    fill(
      root,
      h('div', { class: 'list-head' }, this.tabs, this.orderButton),
      h(
        'div',
        { class: 'table-wrap' },
        h('table', { class: 'jobs' }, h('thead', null, h('tr', null, ['State', 'Job', 'Command', 'Queue', 'Submitted', 'Ran', 'Exit'].map((c) => h('th', null, c)))), this.body),
      ),
      this.pager,
    );
    this.renderTabs();
  }

  private renderOrder(): void {
    this.orderButton.dataset.order = this.order;
    this.orderButton.textContent = this.order === 'desc' ? 'Newest first ↓' : 'Oldest first ↑';
    this.orderButton.title = this.order === 'desc' ? 'show the oldest first (pending: in the order they will start)' : 'show the newest first';
  }

  private renderTabs(): void {
    fill(
      this.tabs,
      FILTERS.map((f) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            class: 'tab',
            'aria-selected': String(f.id === this.filter),
            'data-filter': f.id,
            onclick: () => {
              this.filter = f.id;
              this.cursors = [null];
              this.renderTabs();
              void this.load();
            },
          },
          f.label,
        ),
      ),
    );
  }

  async load(): Promise<void> {
    const after = this.cursors[this.cursors.length - 1];
    const q = new URLSearchParams({ state: this.filter, limit: String(PAGE_SIZE), order: this.order });
    if (after) q.set('after', after);
    const page = await api<JobPageJson>('GET', `jobs?${q}`);
    // A page emptied by a purge: back to the first one.
    if (page.jobs.length === 0 && this.cursors.length > 1) {
      this.cursors = [null];
      return this.load();
    }
    this.next = page.next;
    this.render(page.jobs);
  }

  private render(jobs: JobJson[]): void {
    const now = Date.now();
    const sel = this.selected();
    fill(
      this.body,
      jobs.length
        ? jobs.map((j) =>
            h(
              'tr',
              { 'data-job': j.id, class: j.id === sel ? 'selected' : '', tabindex: 0, onclick: () => this.select(j.id), onkeydown: (e) => (e as KeyboardEvent).key === 'Enter' && this.select(j.id) },
              h('td', null, badge(j.state)),
              h('td', { class: 'mono', title: `${j.id}: these 8 characters name it too (GET /jobs/${j.id.slice(-8)})` }, j.id.slice(-8)),
              h('td', { class: 'command', title: commandOf(j) }, commandOf(j)),
              h('td', null, j.queue === 'urgent' ? h('span', { class: 'urgent' }, 'urgent') : 'normal'),
              h('td', { class: 'submitted' }, liveTime('ago', j.submitted_at, now)),
              h('td', { class: 'ran' }, j.started_at && !j.finished_at ? liveTime('since', j.started_at, now) : between(j.started_at, j.finished_at, now)),
              h('td', { class: 'mono' }, j.signal ?? (j.exit_code === null ? '' : String(j.exit_code))),
            ),
          )
        : h('tr', null, h('td', { colspan: 7, class: 'empty' }, 'no jobs here')),
    );
    const page = this.cursors.length;
    fill(
      this.pager,
      h('button', { type: 'button', class: 'small', disabled: page === 1, onclick: () => this.move(-1) }, '← Previous'),
      h('span', { class: 'muted' }, `page ${page}`),
      h('button', { type: 'button', class: 'small', disabled: !this.next, onclick: () => this.move(+1) }, 'Next →'),
    );
  }

  private move(d: 1 | -1): void {
    if (d > 0 && this.next) this.cursors.push(this.next);
    if (d < 0 && this.cursors.length > 1) this.cursors.pop();
    void this.load();
  }
}
