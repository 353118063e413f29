// Drives a program in a real terminal: a private tmux server (its own socket name), keys in,
// the screen out. Used by the end-to-end console test and the start-up benchmark.
import { execFileSync } from 'node:child_process';

export class Tmux {
  readonly socket: string;
  constructor(name: string, readonly session = 't') {
    this.socket = name;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Starts `argv` in a new window of the given size; the pane stays after it exits. */
  start(argv: string[], env: Record<string, string> = {}, size = { cols: 150, rows: 50 }): void {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', this.session, '-x', String(size.cols), '-y', String(size.rows), ...envArgs, '--', ...argv);
    this.tmux('set-option', '-t', this.session, 'remain-on-exit', 'on');
  }

  /** Keys as tmux names them (`Enter`, `Tab`, `Up`, `C-u`) or literal text with `literal`. */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.session, ...keys);
  }

  type(text: string): void {
    this.tmux('send-keys', '-t', this.session, '-l', text);
  }

  /** The screen and its scrollback, wrapped lines joined. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', this.session);
  }

  /** The line the cursor is on, as shown. */
  promptLine(): string {
    const lines = this.screen().split('\n');
    return [...lines].reverse().find((l) => /^>( |$)/.test(l)) ?? '';
  }

  /** `undefined` while the program runs, else its exit status. */
  exitStatus(): number | undefined {
    const [dead, status] = this.tmux('display-message', '-p', '-t', this.session, '#{pane_dead} #{pane_dead_status}').trim().split(' ');
    return dead === '1' ? Number(status) : undefined;
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
