// One task's card: state, desired vs live workers, keep-alive and loss counters, the
// cardinality control, and its workers. Built once, then updated in place so a value being
// typed into the cardinality field survives the refreshes around it.
import type { TaskJson, WorkerJson } from '../../contract/types.js';
import { ago, badge, confirmButton, fill, h, localTime, until } from './dom.js';

export interface TaskActions {
  start(task: string): Promise<void>;
  stop(task: string): Promise<void>;
  scale(task: string, cardinality: number): Promise<void>;
}

export class TaskCard {
  readonly el: HTMLElement;
  private readonly state = h('span');
  private readonly toggle = h('span', { class: 'card-actions' });
  private readonly count = h('span', { class: 'count' });
  private readonly bar = h('i');
  private readonly facts = h('dl', { class: 'facts' });
  private readonly note = h('p', { class: 'note', hidden: true });
  private readonly cmd = h('code');
  private readonly input = h('input', { type: 'number', min: 0, step: 1, inputmode: 'numeric', name: 'cardinality', 'aria-label': 'cardinality' });
  private readonly summary = h('summary');
  private readonly workers = h('tbody');
  /** The operator typed a value not yet sent: refreshes leave the field alone. */
  private editing = false;
  private current: TaskJson | undefined;
  private toggleFor: boolean | undefined;

  constructor(
    readonly name: string,
    private readonly actions: TaskActions,
  ) {
    const step = (d: number) => () => {
      const n = Math.max(0, (this.current?.cardinality ?? 0) + d);
      this.editing = false;
      void this.actions.scale(this.name, n);
    };
    this.input.addEventListener('input', () => (this.editing = true));
    const form = h(
      'form',
      { class: 'scale' },
      h('label', null, 'Cardinality'),
      h('button', { type: 'button', class: 'step', title: 'one worker less', 'aria-label': 'one worker less', onclick: step(-1) }, '−'),
      this.input,
      h('button', { type: 'button', class: 'step', title: 'one worker more', 'aria-label': 'one worker more', onclick: step(+1) }, '+'),
      h('button', { type: 'submit', class: 'primary' }, 'Set'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const n = Number(this.input.value);
      if (!Number.isInteger(n) || n < 0) {
        this.input.setCustomValidity('a whole number, 0 or more');
        this.input.reportValidity();
        return;
      }
      this.input.setCustomValidity('');
      this.editing = false;
      void this.actions.scale(this.name, n);
    });
    this.el = h(
      'article',
      { class: 'card task', 'data-task': name },
      h('header', null, h('h3', null, name), this.state, h('span', { class: 'spacer' }), this.toggle),
      h('div', { class: 'meter' }, this.count, h('div', { class: 'bar' }, this.bar)),
      this.facts,
      this.note,
      form,
      h('p', { class: 'cmd' }, this.cmd),
      h(
        'details',
        { class: 'workers', open: true },
        this.summary,
        h('div', { class: 'table-wrap' }, h('table', null, h('thead', null, h('tr', null, h('th', null, 'PID'), h('th', null, 'Started'), h('th', null, 'Last keep-alive'), h('th', null, 'State'), h('th', null, 'Info'))), this.workers)),
      ),
    );
  }

  update(t: TaskJson, now = Date.now()): void {
    this.current = t;
    fill(this.state, badge(t.state));
    // Rebuilt only when it changes: a refresh must not disarm a Stop the operator clicked once.
    if (this.toggleFor !== t.running) {
      this.toggleFor = t.running;
      fill(
        this.toggle,
        t.running
          ? confirmButton('Stop', 'Stop all workers?', () => void this.actions.stop(t.name))
          : h('button', { type: 'button', class: 'primary', onclick: () => void this.actions.start(t.name) }, 'Start'),
      );
    }
    const desired = t.running ? t.cardinality : 0;
    this.count.textContent = `${t.active} / ${desired} workers`;
    this.bar.style.width = `${desired ? Math.min(100, (100 * t.active) / desired) : t.active ? 100 : 0}%`;
    this.bar.className = t.active < desired ? 'short' : '';
    const c = t.counters;
    const fact = (k: string, v: string | number, title?: string) => h('div', null, h('dt', title ? { title } : null, k), h('dd', null, String(v)));
    fill(
      this.facts,
      fact('Last keep-alive', ago(t.last_alive_at, now), t.last_alive_at ? localTime(t.last_alive_at) : undefined),
      fact('Stalls', c.stalled),
      fact('Restarts', c.restarts),
      fact('Dead', t.dead, 'stalled + exited, not stopped on purpose'),
      fact('Exited OK / error', `${c.exited_ok} / ${c.exited_error}`),
      fact('Stall timeout', t.stall_timeout ? `${t.stall_timeout / 1000} s` : 'off'),
    );
    const waitNote = t.next_start_at ? `Next start ${until(t.next_start_at, now)} (${localTime(t.next_start_at)}).` : '';
    const stateNote =
      t.state === 'flapping' ? 'Flapping: workers die right after their start; retrying every 60 s. ' : t.state === 'backoff' ? 'Backing off after quick deaths. ' : '';
    this.note.textContent = stateNote + waitNote;
    this.note.hidden = !stateNote && !waitNote;
    if (!this.editing && document.activeElement !== this.input) this.input.value = String(t.cardinality);
    this.cmd.textContent = [t.cmd, ...t.args].join(' ');
    this.summary.textContent = `Workers (${t.workers.length})`;
    fill(this.workers, t.workers.length ? t.workers.map((w) => workerRow(w, now)) : h('tr', null, h('td', { colspan: 5, class: 'empty' }, 'no workers')));
  }
}

function workerRow(w: WorkerJson, now: number): HTMLElement {
  return h(
    'tr',
    { 'data-pid': w.pid },
    h('td', { class: 'mono' }, w.pid),
    h('td', { title: localTime(w.started_at) }, ago(w.started_at, now)),
    h('td', { title: localTime(w.last_alive_at) }, ago(w.last_alive_at, now)),
    h('td', null, badge(w.state), w.adopted ? ' adopted' : ''),
    h('td', { class: 'info' }, w.info ?? ''),
  );
}
