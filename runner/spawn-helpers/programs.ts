// Which helper programs start jobs: spawn-helper.py (posix_spawn: no copy of a Node process a
// job) first, node-helper.ts where python3 cannot start. A user whose python3 misbehaves can
// pick one (bl-daemon's BL_SPAWNER, bl-launcher's --spawner); the tests run both.
import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HelperProgram } from './helper-spawner.js';

export type HelperChoice = 'python' | 'node';

const here = fileURLToPath(import.meta.url);
/** The Node helper's module beside this one: .ts from source, .js built. */
const NODE_HELPER = path.join(path.dirname(here), `node-helper${path.extname(here)}`);
/** The build copies it beside the compiled modules (package.json "build"). */
const PYTHON_HELPER = path.join(path.dirname(here), 'spawn-helper.py');

/** Only the loader flags (tsx when run from source): test-runner or profiler flags stay here. */
export function loaderArgv(): string[] {
  const out: string[] = [];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    if (/^--(import|require|loader)=/.test(a[i]!)) out.push(a[i]!);
    else if (/^--(import|require|loader)$/.test(a[i]!) && i + 1 < a.length) out.push(a[i]!, a[++i]!);
  }
  return out;
}

/**
 * The first python3 on the PATH that is a program, not a script: a version manager's shim
 * (pyenv's is a shell script that finds and execs the chosen python) costs 0.1-1 s at every
 * helper start. Any python3 >= 3.8 serves the helper, and jobs look up their own programs in
 * their own PATH. Like spawn() itself, this reads the PATH the process was started with.
 */
export function findPython(pathVar = process.env.PATH ?? ''): string {
  for (const dir of pathVar.split(':')) {
    if (!dir) continue;
    const file = path.join(dir, 'python3');
    try {
      accessSync(file, constants.X_OK);
      const fd = openSync(file, 'r');
      const head = Buffer.alloc(2);
      try {
        readSync(fd, head, 0, 2, 0);
      } finally {
        closeSync(fd);
      }
      if (head.toString('latin1') !== '#!') return file;
    } catch {
      // not here, or not readable: the next PATH entry
    }
  }
  return 'python3';
}

// -I: no PYTHON* variables, no user site (a stray PYTHONPATH must not shadow json); -S: no
// site module (10 ms less start-up). Jobs get the parent's environment over the channel.
export const PYTHON_HELPER_PROGRAM: HelperProgram = { name: 'python3 spawn helper', argv: [findPython(), '-I', '-S', PYTHON_HELPER] };
export const NODE_HELPER_PROGRAM: HelperProgram = { name: 'Node spawn helper', argv: [process.execPath, ...loaderArgv(), NODE_HELPER] };

/** The programs to try, in order; `choice` keeps only that one. */
export function helperPrograms(choice?: HelperChoice): HelperProgram[] {
  if (choice === 'node') return [NODE_HELPER_PROGRAM];
  if (choice === 'python') return [PYTHON_HELPER_PROGRAM];
  return [PYTHON_HELPER_PROGRAM, NODE_HELPER_PROGRAM];
}
