// One task's card: state, desired vs live workers, keep-alive and loss counters, CPU and
// memory, why its last worker went, the cardinality control, and its workers. Built once, then
// updated in place so a value being typed into the cardinality field (or an opened detail)
// survives the refreshes around it.
import type { LastExitJson, TaskJson, WorkerJson } from '../../contract/types.js';
import { badge, bytes, confirmButton, fill, h, liveTime, usageText } from './dom.js';

export interface TaskActions {
  start(task: string): Promise<void>;
  stop(task: string): Promise<void>;
  scale(task: string, cardinality: number): Promise<void>;
  /** Opens the task's log view. */
  log(task: string): void;
}

export class TaskCard {
  readonly el: HTMLElement;
  private readonly state = h('span');
  private readonly toggle = h('span', { class: 'card-actions' });
  private readonly count = h('span', { class: 'count' });
  private readonly bar = h('i');
  private readonly facts = h('dl', { class: 'facts' });
  private readonly note = h('p', { class: 'note', hidden: true });
  private readonly exitSummary = h('summary');
  private readonly exitOutput = h('pre', { class: 'log' });
  private readonly lastExit = h('details', { class: 'last-exit', hidden: true }, this.exitSummary, this.exitOutput);
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
      h(
        'header',
        null,
        h('h3', null, name),
        this.state,
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'small', title: `the output of ${name}'s workers, live`, onclick: () => this.actions.log(name) }, 'Log'),
        this.toggle,
      ),
      h('div', { class: 'meter' }, this.count, h('div', { class: 'bar' }, this.bar)),
      this.facts,
      this.note,
      this.lastExit,
      form,
      h('p', { class: 'cmd' }, this.cmd),
      h(
        'details',
        { class: 'workers', open: true },
        this.summary,
        h('div', { class: 'table-wrap' }, h('table', null, h('thead', null, h('tr', null, ['PID', 'Started', 'Keep-alive', 'CPU', 'Mem', 'Info'].map((c) => h('th', null, c)))), this.workers)),
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
    const fact = (k: string, v: string | number | HTMLElement, title?: string) => h('div', null, h('dt', title ? { title } : null, k), h('dd', null, typeof v === 'object' ? v : String(v)));
    fill(
      this.facts,
      fact('Last keep-alive', liveTime('ago', t.last_alive_at, now)),
      fact('Stalls', c.stalled),
      fact('Restarts', c.restarts),
      fact('Dead', t.dead, 'stalled + exited, not stopped on purpose'),
      fact('Exited OK / error', `${c.exited_ok} / ${c.exited_error}`),
      fact('Stall timeout', t.stall_timeout ? `${t.stall_timeout / 1000} s` : 'off'),
      fact('CPU · memory', usageText(t.usage), 'of all its workers, sampled about once a second'),
    );
    this.renderNote(t, now);
    this.renderLastExit(t.last_exit, now);
    if (!this.editing && document.activeElement !== this.input) this.input.value = String(t.cardinality);
    this.cmd.textContent = [t.cmd, ...t.args].join(' ');
    this.summary.textContent = `Workers (${t.workers.length})`;
    fill(this.workers, t.workers.length ? t.workers.map((w) => workerRow(w, now)) : h('tr', null, h('td', { colspan: 6, class: 'empty' }, 'no workers')));
  }

  /**
   * Why a task waits: "Backing off: exited 1: Error: Cannot find module …". The daemon's message
   * already names the line of the output that said what went wrong.
   */
  private renderNote(t: TaskJson, now: number): void {
    const why = t.last_exit?.message ?? null;
    let text = '';
    if (t.state === 'flapping') text = `Flapping: ${why ?? 'workers die right after their start'}; retrying every 60 s.`;
    else if (t.state === 'backoff') text = why ? `Backing off: ${why}.` : 'Backing off after quick deaths.';
    else if (t.state === 'waiting') text = `Waiting for ${awaitedText(t)} before its first worker starts.`;
    fill(this.note, text, t.next_start_at ? [text ? ' ' : '', 'Next start ', liveTime('until', t.next_start_at, now), '.'] : null);
    this.note.hidden = !text && !t.next_start_at;
  }

  /** The last exit and the output before it, folded (the operator's open or closed is kept). */
  private renderLastExit(e: LastExitJson | null, now: number): void {
    this.lastExit.hidden = e === null;
    if (!e) return;
    fill(this.exitSummary, `Last exit: ${e.message}${e.pid ? ` (pid ${e.pid})` : ''}, `, liveTime('ago', e.at, now));
    this.exitOutput.textContent = e.output.length ? e.output.join('\n') : '(no output captured)';
  }
}

/** `Db (1 of 2 workers ready)`, as the daemon's status says it. */
function awaitedText(t: TaskJson): string {
  return t.waiting_for.map((w) => `${w.task} (${w.ready} of ${w.cardinality} worker${w.cardinality === 1 ? '' : 's'} ready)`).join(', ');
}

function workerRow(w: WorkerJson, now: number): HTMLElement {
  return h(
    'tr',
    { 'data-pid': w.pid },
    // A running worker is the rule: only a stopping or adopted one says so.
    h('td', { class: 'pid' }, h('span', { class: 'mono' }, w.pid), w.state !== 'running' ? [' ', badge(w.state)] : null, w.adopted ? h('span', { class: 'muted' }, ' adopted') : null),
    h('td', null, liveTime('ago', w.started_at, now)),
    h('td', null, liveTime('ago', w.last_alive_at, now)),
    h('td', { class: 'num cpu' }, w.usage ? `${w.usage.cpu_percent.toFixed(0)} %` : '–'),
    h('td', { class: 'num rss' }, w.usage ? bytes(w.usage.rss_bytes) : '–'),
    // One line a worker: a long info is cut, all of it on hover.
    h('td', { class: 'info', title: w.info ?? '' }, w.info ?? ''),
  );
}
