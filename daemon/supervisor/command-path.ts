// Finds a worker's program before spawning it, so a missing program is a clear, immediate
// failure ("command not found: x") that enters the backoff, not an async spawn error.
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Program {
  path: string;
  /**
   * A text file with no `#!` line: the kernel will not run it (ENOEXEC), and shells and
   * execvp run it with /bin/sh instead. Workers are exec'd directly, so we do the same.
   */
  viaShell: boolean;
}

export function resolveCommand(cmd: string, cwd: string, envPath: string | undefined): Program | undefined {
  const ok = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  let found: string | undefined;
  if (cmd.includes('/')) {
    const p = path.resolve(cwd, cmd);
    if (ok(p)) found = p;
  } else {
    for (const dir of (envPath ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
      if (!dir) continue;
      const p = path.join(dir, cmd);
      if (ok(p)) {
        found = p;
        break;
      }
    }
  }
  return found === undefined ? undefined : { path: found, viaShell: !runsByItself(found) };
}

/** An ELF binary or a `#!` script; anything unreadable is left to the kernel to judge. */
function runsByItself(file: string): boolean {
  const head = Buffer.alloc(4);
  let n = 0;
  try {
    const fd = openSync(file, 'r');
    try {
      n = readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return true;
  }
  if (n >= 2 && head[0] === 0x23 && head[1] === 0x21) return true;
  if (n === 4 && head.readUInt32BE(0) === 0x7f454c46) return true;
  // An empty file runs as an empty script (exit 0) through the shell, as with execvp.
  return false;
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
