// The Spawner bl-launcher hands to the shared run code (startRun/runJob): jobs are forked by
// job guard processes (guard-main.ts), which kill them if this launcher dies without a word.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HelperSpawner } from '../broker/helper-spawner.js';
import { nodeHelper } from '../broker/spawner-programs.js';

const here = fileURLToPath(import.meta.url);
const GUARD = path.join(path.dirname(here), `guard-main${path.extname(here)}`);

export function guardSpawner(): HelperSpawner {
  return new HelperSpawner([nodeHelper(GUARD, 'job guard')]);
}
