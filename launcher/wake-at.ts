// A timer for a time of day (ms since the epoch) rather than a delay: an allocation's end may be
// weeks away, past setTimeout's longest delay, and is reached in steps.

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `fn` once at `at` (at once, asynchronously, when that is past; never when `at` is not a
 * finite time); returns the cancel.
 */
export function wakeAt(at: number, fn: () => void): () => void {
  if (!Number.isFinite(at)) return () => undefined;
  let t: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = at - Date.now();
    if (left <= 0) {
      t = undefined;
      return fn();
    }
    t = setTimeout(arm, Math.min(left, MAX_DELAY_MS));
  };
  t = setTimeout(arm, 0);
  return () => {
    if (t) clearTimeout(t);
    t = undefined;
  };
}
