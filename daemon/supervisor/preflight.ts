// What is wrong with a task's command before anything is spawned: a cwd that does not exist, a
// program not found (or not executable), a script an interpreter is given that is not there.
// Said at start and at reload for every task, started or only defined: a config copied to
// another folder resolves its relative paths against that folder and breaks every task.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { TaskSpec } from '../config/types.js';
import { isDirectory, resolveCommand } from './command-path.js';

/** Programs whose first argument that looks like a file is the script they run. */
const INTERPRETER = /^(node|nodejs|python[0-9.]*|pypy3?|sh|bash|dash|zsh|ksh|php[0-9.]*|ruby|perl|deno|bun|tsx|ts-node|lua|Rscript)$/;
/** Options after which the code is inline, not in a file (`node -e`, `python3 -c`, `-m mod`). */
const INLINE = new Set(['-e', '-c', '-m', '-p', '-r', '--eval', '--print', '-']);
const SCRIPT = /\.(m?js|cjs|ts|mts|py|sh|bash|php|rb|pl|lua|R)$/;

/** Why the task cannot start as configured, or undefined when it looks startable. */
export function checkTask(spec: TaskSpec, envPath: string | undefined): string | undefined {
  if (!isDirectory(spec.cwd)) return `working directory not found: ${spec.cwd}`;
  const program = resolveCommand(spec.cmd, spec.cwd, envPath);
  if (!program) {
    if (!spec.cmd.includes('/')) return `command not found on PATH: ${spec.cmd}`;
    const file = path.resolve(spec.cwd, spec.cmd);
    try {
      const st = statSync(file);
      return st.isFile() ? `command not executable: ${file} (mode ${(st.mode & 0o777).toString(8)})` : `command is not a file: ${file}`;
    } catch {
      return `command not found: ${file}`;
    }
  }
  if (!INTERPRETER.test(path.basename(program.path))) return undefined;
  for (const a of spec.args) {
    if (INLINE.has(a)) return undefined;
    if (a.startsWith('-')) continue;
    if ((!SCRIPT.test(a) && !a.includes('/')) || /^[a-z][a-z0-9+.-]*:\/\//i.test(a)) continue;
    const file = path.resolve(spec.cwd, a);
    try {
      accessSync(file, constants.R_OK);
      return undefined;
    } catch {
      return `script not found: ${file} (an argument of ${path.basename(program.path)})`;
    }
  }
  return undefined;
}
