// How a task waiting for its requirements says what it waits for, in the daemon's status
// text and the console alike (the dashboard, built for the browser, says it the same way).
import type { AwaitedJson } from './types.js';

/** `Db (1 of 2 workers ready), Cache (0 of 1 worker ready)` */
export function awaitedText(waiting: readonly AwaitedJson[]): string {
  return waiting.map((w) => `${w.task} (${w.ready} of ${w.cardinality} worker${w.cardinality === 1 ? '' : 's'} ready)`).join(', ');
}
