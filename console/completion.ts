// Pure completion by position (bash's habits): the word under the cursor is matched against
// the candidates for its position; one match completes it (plus a space), several extend it
// to their common prefix, and the caller lists them on a second Tab. The seed completed
// from one flat list fetched at start; here each position has its own candidates.
import { quoteWord, wordAtCursor, type CursorWord } from './line-parser.js';

export interface Completion {
  line: string;
  cursor: number;
  /** Every candidate that matches what is typed (sorted, unique). */
  matches: string[];
}

export function commonPrefix(words: readonly string[]): string {
  if (words.length === 0) return '';
  let p = words[0]!;
  for (const w of words) {
    let i = 0;
    while (i < p.length && i < w.length && p[i] === w[i]) i++;
    p = p.slice(0, i);
  }
  return p;
}

/** Applies candidates to the word at the cursor; the line is unchanged when nothing fits. */
export function applyCompletion(line: string, cursor: number, at: CursorWord, candidates: readonly string[]): Completion {
  const matches = [...new Set(candidates.filter((c) => c.startsWith(at.partial)))].sort();
  const tail = line.slice(cursor);
  let insert: string | undefined;
  if (matches.length === 1) insert = quoteWord(matches[0]!) + (tail.startsWith(' ') ? '' : ' ');
  else if (matches.length > 1) {
    const p = commonPrefix(matches);
    if (p.length > at.partial.length) insert = quoteWord(p);
  }
  if (insert === undefined) return { line, cursor, matches };
  const head = line.slice(0, at.start) + insert;
  return { line: head + tail, cursor: head.length, matches };
}

/** Where the cursor is, then what to complete: the whole pure step for a given candidate source. */
export async function completeLine(
  line: string,
  cursor: number,
  candidatesFor: (at: CursorWord) => Promise<readonly string[]> | readonly string[],
): Promise<Completion> {
  const at = wordAtCursor(line, cursor);
  let candidates: readonly string[] = [];
  try {
    candidates = await candidatesFor(at);
  } catch {
    // A daemon that cannot answer offers nothing to complete; the prompt stays usable.
  }
  return applyCompletion(line, cursor, at, candidates);
}
