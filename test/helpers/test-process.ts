// A child process a test started (a daemon, a launcher): its output, its exit, and killing it.
import type { ChildProcess } from 'node:child_process';
import { alive } from './proc.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class TestProcess {
  out = '';
  err = '';
  exitInfo: ExitInfo | undefined;
  readonly exited: Promise<ExitInfo>;

  /** `stdoutInto: 'err'` collects both streams in `err` (in the order they came). */
  constructor(
    readonly proc: ChildProcess,
    { stdoutInto = 'out' }: { stdoutInto?: 'out' | 'err' } = {},
  ) {
    proc.stdout!.setEncoding('utf8').on('data', (d) => (this[stdoutInto] += d));
    proc.stderr!.setEncoding('utf8').on('data', (d) => (this.err += d));
    this.exited = new Promise((resolve) =>
      proc.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve({ code, signal });
      }),
    );
  }

  async kill9(): Promise<void> {
    if (!this.exitInfo) this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** Kills it if it still runs. */
  cleanup(): void {
    if (!this.exitInfo && this.proc.pid && alive(this.proc.pid)) this.proc.kill('SIGKILL');
  }
}
