// The last lines of a text, as `tail -n` counts them: a final newline ends the last line, it
// does not start an empty one. Shared by the daemon's log tail and the console's follow view.

/** The last `n` lines of `text` (none for n ≤ 0; `slice(-0)` would give them all). */
export function lastLines(text: string, n: number): string[] {
  if (n <= 0) return [];
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all.slice(-n);
}
