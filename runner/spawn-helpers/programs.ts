// Which helper programs start jobs (helper-spawner.ts). The daemon prefers spawn-helper.py
// (posix_spawn: no copy of a Node process a job) and falls back to spawner-main.ts where
// python3 cannot start. BL_SPAWNER=node or =python picks one (tests run both; a user whose
// python3 misbehaves can opt out).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HelperProgram } from './helper-spawner.js';

/**
 * A module beside `metaUrl`'s, by name: the extension follows the caller's (.ts from source,
 * .js built).
 */
export function siblingModule(metaUrl: string, name: string): string {
  const file = fileURLToPath(metaUrl);
  return path.join(path.dirname(file), `${name}${path.extname(file)}`);
}

/** The Node helper's main module. */
export const SPAWNER_MAIN = siblingModule(import.meta.url, 'node-helper');
/** The build copies it beside the compiled modules (package.json "build"). */
export const SPAWN_HELPER_PY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'spawn-helper.py');

/** Only the loader flags (tsx when run from source): test-runner or profiler flags stay here. */
function loaderArgv(): string[] {
  const out: string[] = [];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    if (/^--(import|require|loader)=/.test(a[i]!)) out.push(a[i]!);
    else if (/^--(import|require|loader)$/.test(a[i]!) && i + 1 < a.length) out.push(a[i]!, a[++i]!);
  }
  return out;
}

/** A helper written for Node: `main` runs with this process's Node and loader. */
export function nodeHelper(main: string, name: string): HelperProgram {
  return { name, argv: [process.execPath, ...loaderArgv(), main] };
}

// -I: no PYTHON* variables, no user site (a stray PYTHONPATH must not shadow json); -S: no
// site module (10 ms less start-up). Jobs get the daemon's environment from the parent.
export const PYTHON_SPAWNER: HelperProgram = { name: 'python3 spawner', argv: ['python3', '-I', '-S', SPAWN_HELPER_PY] };
export const NODE_SPAWNER: HelperProgram = nodeHelper(SPAWNER_MAIN, 'spawner');

export function daemonSpawnerPrograms(choice = process.env.BL_SPAWNER): HelperProgram[] {
  if (choice === 'node') return [NODE_SPAWNER];
  if (choice === 'python') return [PYTHON_SPAWNER];
  return [PYTHON_SPAWNER, NODE_SPAWNER];
}
