// The log view: one task's captured output (GET /tasks/:name/log) or every task's (GET
// /tasks/log, each line `TASK PID | …`), its last lines and then what comes, live, over one
// streamed response (follow=1). A dropped stream is opened again; the view keeps the last
// KEEP_LINES lines and follows the end unless the operator scrolled up to read.
import { ApiError, streamText } from './api.js';
import { fill, h } from './dom.js';

const TAIL = 200;
const KEEP_LINES = 2000;
const RETRY_MS = 3000;
/** Within this many pixels of the end counts as "at the end": new lines keep it in view. */
const STICK_PX = 24;

type Source = { kind: 'task'; name: string } | { kind: 'all' };

export class LogView {
  private source: Source | undefined;
  private ctl: AbortController | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private lines: string[] = [];
  private partial = '';
  private drawQueued = false;
  private readonly title = h('h3');
  private readonly state = h('span', { class: 'log-state muted' });
  private readonly allButton = h('button', { type: 'button', class: 'small' }, "All tasks' logs");
  private readonly pre = h('pre', { class: 'log task-log', tabindex: 0 });

  constructor(private readonly el: HTMLElement) {
    this.allButton.addEventListener('click', () => this.open(null));
    fill(
      el,
      h(
        'header',
        null,
        this.title,
        this.state,
        h('span', { class: 'spacer' }),
        this.allButton,
        h('button', { type: 'button', class: 'small ghost', 'aria-label': 'close the log', onclick: () => this.close() }, '✕'),
      ),
      this.pre,
    );
  }

  /** Shows a task's log, or every task's for null, from its last lines on. */
  open(task: string | null): void {
    this.stop();
    this.source = task === null ? { kind: 'all' } : { kind: 'task', name: task };
    this.el.hidden = false;
    this.el.dataset.source = task ?? '*';
    this.title.textContent = task === null ? "All tasks' logs" : `Log of ${task}`;
    this.allButton.hidden = task === null;
    this.connect();
    this.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  close(): void {
    this.stop();
    this.source = undefined;
    this.el.hidden = true;
  }

  private stop(): void {
    this.ctl?.abort();
    this.ctl = undefined;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
  }

  private connect(): void {
    const source = this.source;
    if (!source) return;
    const ctl = new AbortController();
    this.ctl = ctl;
    // Each (re)connection starts from the tail: the lines already shown are replaced, not doubled.
    this.lines = [];
    this.partial = '';
    this.draw();
    this.setState('connecting…', 'connecting');
    const path = source.kind === 'all' ? `tasks/log?tail=${TAIL}&follow=1` : `tasks/${encodeURIComponent(source.name)}/log?tail=${TAIL}&follow=1`;
    streamText(
      path,
      ctl.signal,
      (text) => this.add(text),
      () => {
        this.setState('live', 'live');
        this.draw();
      },
    )
      .then(() => this.dropped(ctl, 'the daemon ended the stream'))
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        // A refusal is final (no such task, no captured output, no combined log): say why.
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) {
          const missing = source.kind === 'all' && e.status === 404;
          this.setState(missing ? 'this daemon serves no combined log (GET /tasks/log)' : e.message, 'down');
          return;
        }
        this.dropped(ctl, (e as Error).message);
      });
  }

  private dropped(ctl: AbortController, why: string): void {
    if (this.ctl !== ctl) return;
    this.setState(`disconnected (${why}); reconnecting…`, 'down');
    this.retry = setTimeout(() => this.connect(), RETRY_MS);
  }

  private setState(text: string, state: 'connecting' | 'live' | 'down'): void {
    this.state.textContent = text;
    this.el.dataset.state = state;
  }

  private add(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    this.lines.push(...parts);
    if (this.lines.length > KEEP_LINES) this.lines.splice(0, this.lines.length - KEEP_LINES);
    if (!this.drawQueued) {
      this.drawQueued = true;
      requestAnimationFrame(() => {
        this.drawQueued = false;
        this.draw();
      });
    }
  }

  private draw(): void {
    const pre = this.pre;
    const atEnd = pre.scrollHeight - pre.scrollTop - pre.clientHeight <= STICK_PX;
    const text = this.lines.join('\n') + (this.partial ? `\n${this.partial}` : '');
    pre.textContent = text || (this.el.dataset.state === 'live' ? '(no output yet)' : '');
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  }
}
