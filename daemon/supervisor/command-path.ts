// Finds a worker's program before spawning it, so a missing program is a clear, immediate
// failure ("command not found: x") that enters the backoff, not an async spawn error.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export function resolveCommand(cmd: string, cwd: string, envPath: string | undefined): string | undefined {
  const ok = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) {
    const p = path.resolve(cwd, cmd);
    return ok(p) ? p : undefined;
  }
  for (const dir of (envPath ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    if (ok(p)) return p;
  }
  return undefined;
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
