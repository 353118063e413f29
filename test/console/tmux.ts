// Drives a program in a real terminal: a private tmux server (its own socket name), keys in,
// the screen out. Used by the end-to-end console test and the start-up benchmark.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export class Tmux {
  socket: string;
  private runs = 0;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'bl-tmux-'));
  constructor(
    /** Socket name prefix, unique to the test (`bl-test-<pid>`). */
    readonly name: string,
    readonly session = 't',
  ) {
    this.socket = name;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * Starts `argv` in a new server of its own (a fresh socket each run: a killed server may
   * still answer on its socket for a moment); the pane stays after the program exits.
   */
  start(argv: string[], env: Record<string, string> = {}, size = { cols: 150, rows: 50 }): void {
    this.socket = `${this.name}-${++this.runs}`;
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // The exit status goes through a file: tmux's #{pane_dead_status} is sometimes never set.
    const wrapped = ['/bin/sh', '-c', `"$@"; echo $? > '${this.statusFile()}'`, 'sh', ...argv];
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', this.session, '-x', String(size.cols), '-y', String(size.rows), ...envArgs, '--', ...wrapped);
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

  private statusFile(): string {
    return path.join(this.dir, `${this.socket}.status`);
  }

  /** `undefined` while the program runs, else its exit status. */
  exitStatus(): number | undefined {
    try {
      const t = readFileSync(this.statusFile(), 'utf8');
      return t.endsWith('\n') ? Number(t) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Kills the server and removes its socket file (tmux leaves it behind). */
  kill(): void {
    let socketPath: string | undefined;
    try {
      socketPath = this.tmux('display-message', '-p', '#{socket_path}').trim();
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    if (socketPath) rmSync(socketPath, { force: true });
  }

  /** Kills the server and removes the status files. */
  dispose(): void {
    this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
