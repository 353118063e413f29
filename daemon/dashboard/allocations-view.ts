// The Slurm allocations of a daemon with `broker.slurm` (GET /broker's `allocations`): a row an
// allocation Slurm still has, with its time left counting down between fetches, a Cancel on
// each queued or running one; the ones that ended folded below with why; the pause, when submitting has stopped,
// with its Resume; an Add button. Hidden for a daemon without Slurm. Rows are updated in place,
// so a Cancel clicked once (armed) survives the refreshes around it.
import type { AllocationJson, AllocationsJson } from '../../contract/types.js';
import { badge, confirmButton, fill, h, liveTime, localTime } from './dom.js';

export interface AllocationActions {
  /** Submits one more allocation now. */
  add(): Promise<void>;
  cancel(id: string): Promise<void>;
  /** Clears the pause: allocations are submitted again as work needs them. */
  resume(): Promise<void>;
}

const HEADERS = ['ID', 'State', 'Node', 'Time left', 'Jobs', 'Connected', 'Reason', ''];

const isLive = (a: AllocationJson) => a.state !== 'ended';
/** Queued or running: what a Cancel can still stop (an `ending` one is being stopped already). */
const cancellable = (a: AllocationJson) => a.state === 'pending' || a.state === 'running';

/**
 * When its time runs out, by this browser's clock: the daemon's `time_left_s` counted from now
 * (its `end_at` is by the daemon's clock, which may not agree with the browser's).
 */
function endsAt(a: AllocationJson, now: number): string | null {
  if (a.state !== 'running' && a.state !== 'ending') return null;
  return a.time_left_s !== null ? new Date(now + a.time_left_s * 1000).toISOString() : a.end_at;
}

class AllocationRow {
  readonly tr: HTMLTableRowElement;
  private readonly state = h('td', { class: 'state' });
  private readonly node = h('td', { class: 'node' });
  private readonly left = h('td', { class: 'left' });
  private readonly jobs = h('td', { class: 'num jobs' });
  private readonly connected = h('td', { class: 'connected' });
  private readonly reason = h('td', { class: 'reason' });
  private readonly actions = h('td', { class: 'alloc-actions' });
  private cancellable: boolean | undefined;

  constructor(
    readonly id: string,
    private readonly cancel: (id: string) => Promise<void>,
  ) {
    this.tr = h('tr', { 'data-alloc': id }, h('td', { class: 'mono' }, id), this.state, this.node, this.left, this.jobs, this.connected, this.reason, this.actions);
  }

  update(a: AllocationJson, now: number): void {
    const { state, node, left, jobs, connected, reason } = this;
    this.tr.dataset.state = a.state;
    fill(state, badge(a.state));
    node.textContent = a.node ?? '–';
    const end = endsAt(a, now);
    fill(left, end ? liveTime('left', end, now) : '–');
    if (end) left.title = `Slurm ends it at ${localTime(end)}`;
    else left.removeAttribute('title');
    jobs.textContent = String(a.jobs_run);
    // Running in Slurm with no word from its launcher is worth a look.
    fill(connected, !isLive(a) ? '–' : a.connected ? 'yes' : h('span', { class: a.state === 'running' ? 'warn' : 'muted' }, 'no'));
    reason.textContent = a.reason ?? '';
    reason.title = a.reason ?? '';
    // Rebuilt only when it changes: a refresh must not disarm a Cancel clicked once.
    if (this.cancellable !== cancellable(a)) {
      this.cancellable = cancellable(a);
      fill(this.actions, this.cancellable ? confirmButton('Cancel', 'Cancel allocation?', () => void this.cancel(this.id), 'small danger') : null);
    }
  }
}

export class AllocationsView {
  private readonly counts = h('span', { class: 'muted alloc-counts' });
  private readonly pausedText = h('span');
  private readonly paused: HTMLElement;
  private readonly live = h('tbody');
  private readonly endedSummary = h('summary');
  private readonly ended = h('tbody');
  private readonly endedBox: HTMLDetailsElement;
  private readonly rows = new Map<string, AllocationRow>();

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: AllocationActions,
  ) {
    const table = (body: HTMLElement) => h('div', { class: 'table-wrap' }, h('table', { class: 'allocations' }, h('thead', null, h('tr', null, HEADERS.map((c) => h('th', null, c)))), body));
    const add = h('button', { type: 'button', class: 'small primary' }, 'Add allocation');
    add.addEventListener('click', () => {
      add.disabled = true;
      void this.actions.add().finally(() => (add.disabled = false));
    });
    this.paused = h(
      'div',
      { class: 'note alloc-paused', role: 'alert', hidden: true },
      h('span', null, 'New allocations are paused: ', this.pausedText),
      h('button', { type: 'button', class: 'small primary', onclick: () => void this.actions.resume() }, 'Resume'),
    );
    this.endedBox = h('details', { class: 'alloc-ended', hidden: true }, this.endedSummary, table(this.ended));
    fill(root, h('header', null, h('h3', { id: 'allocations-h' }, 'Slurm allocations'), this.counts, h('span', { class: 'spacer' }), add), this.paused, table(this.live), this.endedBox);
  }

  /** `a` undefined: the daemon has no `broker.slurm`; the panel hides. */
  update(a: AllocationsJson | undefined, now = Date.now()): void {
    this.root.hidden = a === undefined;
    if (!a) return;
    this.paused.hidden = a.paused === null;
    this.pausedText.textContent = a.paused ?? '';
    const live = a.allocations.filter(isLive);
    // The most recently ended first.
    const ended = a.allocations.filter((x) => !isLive(x)).sort((x, y) => (y.ended_at ?? '').localeCompare(x.ended_at ?? '') || Number(y.id) - Number(x.id));
    const by = (s: AllocationJson['state']) => live.filter((x) => x.state === s).length;
    fill(this.counts, (['running', 'pending', 'ending'] as const).filter((s) => by(s) > 0).map((s) => `${by(s)} ${s}`).join(' · ') || 'none queued or running');

    const seen = new Set<string>();
    const rowOf = (x: AllocationJson) => {
      seen.add(x.id);
      let row = this.rows.get(x.id);
      if (!row) this.rows.set(x.id, (row = new AllocationRow(x.id, (id) => this.actions.cancel(id))));
      row.update(x, now);
      return row.tr;
    };
    fill(this.live, live.length ? live.map(rowOf) : h('tr', null, h('td', { colspan: HEADERS.length, class: 'empty' }, "No allocation is queued or running: one is submitted when pending jobs exceed the launchers' free slots.")));
    fill(this.ended, ended.map(rowOf));
    this.endedBox.hidden = ended.length === 0;
    this.endedSummary.textContent = `Ended (${ended.length})`;
    for (const id of [...this.rows.keys()]) if (!seen.has(id)) this.rows.delete(id);
  }
}
