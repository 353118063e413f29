// drop-log.ts's I/O: the clock, the timer that ends a window, and the log line.
import { emptyDropLog, noteDrop, summarise, type DropLogState, type DropLogStep } from './drop-log.js';

export class DropReporter {
  private state: DropLogState = emptyDropLog();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly say: (line: string) => void) {}

  drop(reason: string): void {
    this.apply(noteDrop(this.state, reason, Date.now()));
  }

  /** Tells what is counted and not yet told (at shutdown). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const s = summarise(this.state, Date.now());
    if (s.line) this.say(s.line);
    this.state = emptyDropLog();
  }

  private apply(step: DropLogStep): void {
    this.state = step.state;
    if (step.line) for (const l of step.line.split('\n')) this.say(l);
    if (step.summaryAt !== undefined && !this.timer) {
      // Unref'd: a pending summary is no reason for the daemon to live on.
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.apply(summarise(this.state, Date.now()));
      }, Math.max(0, step.summaryAt - Date.now())).unref();
    }
  }
}
