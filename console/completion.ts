// Pure completion by position (bash's habits): the word under the cursor is matched against
// the candidates for its position; one match completes it (plus a space), several extend it
// to their common prefix, and the caller lists them on a second Tab. The seed completed
// from one flat list fetched at start; here each position has its own candidates.
import { quoteWord, wordAtCursor, type CursorWord } from './line-parser.js';

/**
 * A word to offer, or one with a note the listing shows beside it (a job id: its state and
 * command). Plain words are listed sorted; noted ones after them, in the order given (newest
 * job first).
 */
export type Candidate = string | { value: string; note: string };

export interface Completion {
  line: string;
  cursor: number;
  /** Every candidate that matches what is typed (unique; plain ones sorted, then noted ones). */
  matches: string[];
  /** The notes of `matches`, index for index ('' for a plain one); absent when none has one. */
  notes?: string[];
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

const valueOf = (c: Candidate) => (typeof c === 'string' ? c : c.value);

/** Matching candidates in listing order, each value once (its first note kept). */
function matching(candidates: readonly Candidate[], partial: string): { value: string; note?: string }[] {
  const seen = new Set<string>();
  const plain: string[] = [];
  const noted: { value: string; note: string }[] = [];
  for (const c of candidates) {
    const v = valueOf(c);
    if (!v.startsWith(partial) || seen.has(v)) continue;
    seen.add(v);
    if (typeof c === 'string') plain.push(c);
    else noted.push(c);
  }
  return [...plain.sort().map((value) => ({ value })), ...noted];
}

/** Applies candidates to the word at the cursor; the line is unchanged when nothing fits. */
export function applyCompletion(line: string, cursor: number, at: CursorWord, candidates: readonly Candidate[]): Completion {
  const found = matching(candidates, at.partial);
  const matches = found.map((m) => m.value);
  const notes = found.some((m) => m.note !== undefined) ? { notes: found.map((m) => m.note ?? '') } : {};
  const tail = line.slice(cursor);
  let insert: string | undefined;
  if (matches.length === 1) insert = quoteWord(matches[0]!) + (tail.startsWith(' ') ? '' : ' ');
  else if (matches.length > 1) {
    const p = commonPrefix(matches);
    if (p.length > at.partial.length) insert = quoteWord(p);
  }
  if (insert === undefined) return { line, cursor, matches, ...notes };
  const head = line.slice(0, at.start) + insert;
  return { line: head + tail, cursor: head.length, matches, ...notes };
}

/** Where the cursor is, then what to complete: the whole pure step for a given candidate source. */
export async function completeLine(
  line: string,
  cursor: number,
  candidatesFor: (at: CursorWord) => Promise<readonly Candidate[]> | readonly Candidate[],
): Promise<Completion> {
  const at = wordAtCursor(line, cursor);
  let candidates: readonly Candidate[] = [];
  try {
    candidates = await candidatesFor(at);
  } catch {
    // A daemon that cannot answer offers nothing to complete; the prompt stays usable.
  }
  return applyCompletion(line, cursor, at, candidates);
}
