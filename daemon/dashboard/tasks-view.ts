// The tasks area: a card per active task (running, or still stopping workers), and the other
// known tasks as a filterable list with Start buttons (a `path` config can define hundreds).
import type { ListJson, TaskJson } from '../../contract/types.js';
import { fill, h } from './dom.js';
import { TaskCard, type TaskActions } from './task-card.js';

const STOPPED_SHOWN = 60;

export class TasksView {
  private readonly cards = new Map<string, TaskCard>();
  private stopped: string[] = [];
  private readonly filter = h('input', { type: 'search', placeholder: 'filter', 'aria-label': 'filter stopped tasks' });
  private readonly heading = h('h3');
  private readonly list = h('ul', { class: 'stopped' });
  private readonly more = h('p', { class: 'muted' });

  constructor(
    private readonly grid: HTMLElement,
    private readonly stoppedBox: HTMLElement,
    private readonly actions: TaskActions,
  ) {
    this.filter.addEventListener('input', () => this.renderStopped());
    // Built once: re-rendering only the list keeps the filter field and its focus.
    fill(this.stoppedBox, this.heading, this.filter, this.list, this.more);
  }

  update(active: TaskJson[], known: ListJson['tasks']): void {
    const now = Date.now();
    const names = new Set(active.map((t) => t.name));
    for (const [name, card] of this.cards) {
      if (!names.has(name)) {
        card.el.remove();
        this.cards.delete(name);
      }
    }
    const order = [...active].sort((a, b) => a.name.localeCompare(b.name));
    for (const t of order) {
      let card = this.cards.get(t.name);
      if (!card) {
        card = new TaskCard(t.name, this.actions);
        this.cards.set(t.name, card);
      }
      card.update(t, now);
      this.grid.appendChild(card.el); // appending an existing node moves it: keeps name order
    }
    if (order.length === 0 && !this.grid.querySelector('.empty')) {
      this.grid.appendChild(h('p', { class: 'empty' }, 'No task is running.'));
    } else if (order.length > 0) {
      this.grid.querySelector(':scope > .empty')?.remove();
    }
    this.stopped = known.filter((k) => !names.has(k.name)).map((k) => k.name).sort((a, b) => a.localeCompare(b));
    this.renderStopped();
  }

  /** Live and desired workers over all active tasks, for the summary line. */
  totals(active: TaskJson[]): { live: number; desired: number; flapping: number; backoff: number; waiting: number } {
    let waiting = 0;
    let live = 0;
    let desired = 0;
    let flapping = 0;
    let backoff = 0;
    for (const t of active) {
      live += t.active;
      desired += t.running ? t.cardinality : 0;
      if (t.state === 'flapping') flapping++;
      if (t.state === 'backoff') backoff++;
      if (t.state === 'waiting') waiting++;
    }
    return { live, desired, flapping, backoff, waiting };
  }

  private renderStopped(): void {
    const q = this.filter.value.trim().toLowerCase();
    const match = q ? this.stopped.filter((n) => n.toLowerCase().includes(q)) : this.stopped;
    const shown = match.slice(0, STOPPED_SHOWN);
    this.stoppedBox.hidden = this.stopped.length === 0;
    this.heading.textContent = `Stopped tasks (${this.stopped.length})`;
    this.filter.hidden = this.stopped.length <= 8;
    fill(
      this.list,
      shown.map((n) =>
        h(
          'li',
          { 'data-task': n },
          h('span', null, n),
          h(
            'span',
            { class: 'row-actions' },
            h('button', { type: 'button', class: 'small ghost', title: `the output its workers left`, onclick: () => this.actions.log(n) }, 'Log'),
            h('button', { type: 'button', class: 'small', onclick: () => void this.actions.start(n) }, 'Start'),
          ),
        ),
      ),
    );
    this.more.textContent = match.length > shown.length ? `${match.length - shown.length} more; filter to find one` : '';
  }
}
