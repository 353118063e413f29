// The prompt line as a pure reducer with typed actions (ink-ui's text-input split): editing,
// history and completion results. The key mapping (prompt-keys.ts) and the view are apart.
import type { Completion } from './completion.js';

export interface PromptState {
  value: string;
  cursor: number;
  /** Older lines first; the newest is last. */
  history: readonly string[];
  /** Index into history while browsing with ↑/↓; history.length = the line being edited. */
  historyIndex: number;
  /** The line being edited before ↑ was pressed, given back by ↓ past the newest entry. */
  draft: string;
  /** Tabs in a row that changed nothing: the second one lists the matches. */
  tabStreak: number;
  /** Candidates shown under the prompt after a second Tab; cleared by any edit. */
  listing: readonly ListedCandidate[] | null;
  /** Ctrl-C pressed on an empty line: the next one leaves. */
  armedExit: boolean;
}

/** A candidate as listed: its value, and a note beside it (a job's state and command). */
export interface ListedCandidate {
  value: string;
  note?: string;
}

export type PromptAction =
  | { type: 'insert'; text: string }
  | { type: 'delete-back' }
  | { type: 'delete-forward' }
  | { type: 'move'; by: number }
  | { type: 'move-word'; dir: -1 | 1 }
  | { type: 'home' }
  | { type: 'end' }
  | { type: 'kill-line' }
  | { type: 'kill-to-end' }
  | { type: 'delete-word' }
  | { type: 'history-up' }
  | { type: 'history-down' }
  | { type: 'history-load'; lines: readonly string[] }
  /** A completion computed for `from`; ignored if the line changed meanwhile. */
  | { type: 'complete'; from: { value: string; cursor: number }; result: Completion }
  /** Enter: the caller takes `value` first; this clears the line and records it. */
  | { type: 'submit' }
  | { type: 'interrupt' };

export function initialPrompt(history: readonly string[] = []): PromptState {
  return { value: '', cursor: 0, history, historyIndex: history.length, draft: '', tabStreak: 0, listing: null, armedExit: false };
}

const HISTORY_MAX = 1000;

function edit(s: PromptState, value: string, cursor: number): PromptState {
  return { ...s, value, cursor: Math.max(0, Math.min(cursor, value.length)), tabStreak: 0, listing: null, armedExit: false };
}

/** One character back or forward, never inside a surrogate pair (emoji). */
function step(v: string, c: number, by: number): number {
  let i = c;
  const dir = Math.sign(by);
  for (let n = Math.abs(by); n > 0; n--) {
    const next = i + dir;
    if (next < 0 || next > v.length) break;
    i = next;
    if (i > 0 && i < v.length && /[\uDC00-\uDFFF]/.test(v[i]!) && /[\uD800-\uDBFF]/.test(v[i - 1]!)) i += dir;
  }
  return i;
}

function wordStartBefore(v: string, c: number): number {
  let i = c;
  while (i > 0 && v[i - 1] === ' ') i--;
  while (i > 0 && v[i - 1] !== ' ') i--;
  return i;
}

function wordEndAfter(v: string, c: number): number {
  let i = c;
  while (i < v.length && v[i] === ' ') i++;
  while (i < v.length && v[i] !== ' ') i++;
  return i;
}

export function promptReducer(s: PromptState, a: PromptAction): PromptState {
  const { value: v, cursor: c } = s;
  switch (a.type) {
    case 'insert': {
      // Pasted text may carry newlines or tabs; a prompt line holds neither.
      const text = a.text.replace(/[\r\n\t]+/g, ' ');
      return edit(s, v.slice(0, c) + text + v.slice(c), c + text.length);
    }
    case 'delete-back': {
      const b = step(v, c, -1);
      return edit(s, v.slice(0, b) + v.slice(c), b);
    }
    case 'delete-forward':
      return edit(s, v.slice(0, c) + v.slice(step(v, c, 1)), c);
    case 'move':
      return edit(s, v, step(v, c, a.by));
    case 'move-word':
      return edit(s, v, a.dir < 0 ? wordStartBefore(v, c) : wordEndAfter(v, c));
    case 'home':
      return edit(s, v, 0);
    case 'end':
      return edit(s, v, v.length);
    case 'kill-line':
      // readline's Ctrl-U: everything before the cursor.
      return edit(s, v.slice(c), 0);
    case 'kill-to-end':
      return edit(s, v.slice(0, c), c);
    case 'delete-word': {
      const start = wordStartBefore(v, c);
      return edit(s, v.slice(0, start) + v.slice(c), start);
    }
    case 'history-up': {
      if (s.historyIndex === 0) return s;
      const draft = s.historyIndex === s.history.length ? v : s.draft;
      const line = s.history[s.historyIndex - 1]!;
      return { ...edit(s, line, line.length), historyIndex: s.historyIndex - 1, draft };
    }
    case 'history-down': {
      if (s.historyIndex >= s.history.length) return s;
      const i = s.historyIndex + 1;
      const line = i === s.history.length ? s.draft : s.history[i]!;
      return { ...edit(s, line, line.length), historyIndex: i };
    }
    case 'history-load': {
      // History loads after the first frame (start-up speed); keep what was typed meanwhile.
      const history = [...a.lines, ...s.history].slice(-HISTORY_MAX);
      return { ...s, history, historyIndex: history.length };
    }
    case 'complete': {
      if (a.from.value !== v || a.from.cursor !== c) return s;
      const { result } = a;
      if (result.line !== v || result.cursor !== c) return { ...edit(s, result.line, result.cursor), tabStreak: 1 };
      const listed = result.matches.map((value, i) => (result.notes ? { value, note: result.notes[i] } : { value }));
      const listing = s.tabStreak >= 1 && result.matches.length > 1 ? listed : s.listing;
      return { ...s, tabStreak: s.tabStreak + 1, listing };
    }
    case 'submit': {
      const line = v.trim();
      const last = s.history[s.history.length - 1];
      const history = line === '' || line === last ? s.history : [...s.history, line].slice(-HISTORY_MAX);
      return { ...initialPrompt(history) };
    }
    case 'interrupt':
      // Ctrl-C clears a line; on an empty line it arms leaving (the caller leaves on the second).
      return v === '' ? { ...edit(s, '', 0), armedExit: true, historyIndex: s.history.length } : { ...edit(s, '', 0), historyIndex: s.history.length };
  }
}
