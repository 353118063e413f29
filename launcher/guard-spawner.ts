// The Spawner bl-launcher hands to the shared run code (startRun/runJob): jobs are forked by
// job guard processes (guard-main.ts), which kill them if this launcher dies without a word.
import { HelperSpawner } from '../runner/spawn-helpers/helper-spawner.js';
import { nodeHelper, siblingModule } from '../runner/spawn-helpers/programs.js';

const GUARD = siblingModule(import.meta.url, 'guard-main');

export function guardSpawner(): HelperSpawner {
  return new HelperSpawner([nodeHelper(GUARD, 'job guard')]);
}
