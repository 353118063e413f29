// The program a pilot runs: this install's bl-launcher with the Node that runs the daemon (the
// same version, found at the same path on nodes that share the install), and the daemon's own
// loader flags when it runs from source (tsx), made absolute: the pilot starts in another folder.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loaderArgv } from '../../../runner/spawn-helpers/programs.js';

const here = fileURLToPath(import.meta.url);
/** bl-launcher's main module beside the daemon's: .ts from source, .js built. */
export const LAUNCHER_MAIN = path.resolve(path.dirname(here), '../../../launcher', `main${path.extname(here)}`);

export function pilotProgram(): string[] {
  const loader = loaderArgv().map((a) => {
    const eq = /^(--(?:import|require|loader)=)(.*)$/.exec(a);
    if (eq) return eq[1]! + absolute(eq[2]!);
    return a.startsWith('-') ? a : absolute(a);
  });
  return [process.execPath, ...loader, LAUNCHER_MAIN];
}

/** A bare or relative module specifier resolves against the cwd: the pilot's is not ours. */
function absolute(spec: string): string {
  if (spec.startsWith('file:') || path.isAbsolute(spec)) return spec;
  if (spec.startsWith('.')) return pathToFileURL(path.resolve(spec)).href;
  try {
    return import.meta.resolve(spec);
  } catch {
    return spec;
  }
}
