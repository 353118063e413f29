// End-of-run writes the store refused (a full disk, a read-only file, an I/O error): kept in
// memory in their order and tried again every second until they pass, so a job's end is never
// lost while the daemon lives. A new write waits behind the refused ones.
const RETRY_MS = 1000;

export class WriteRetry {
  private queue: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  /** Writes that wait for the store. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `write` now, or keeps it (behind any that wait) to try again while the store refuses. */
  write(write: () => void): void {
    if (this.queue.length === 0) {
      try {
        write();
        return;
      } catch (e) {
        console.error(`bl-daemon: the store refused a job update, will retry: ${(e as Error).message}`);
      }
    }
    this.queue.push(write);
    this.later();
  }

  /** Tries the waiting writes now, in order, up to the first the store still refuses. */
  flush(): void {
    while (this.queue.length > 0) {
      try {
        this.queue[0]!();
      } catch {
        return;
      }
      this.queue.shift();
    }
  }

  /** No more timed tries (shutdown: the caller flushes once more itself). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private later(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
      if (this.queue.length > 0) this.later();
    }, RETRY_MS);
  }
}
