// Pure mapping from a key (as Ink's useInput reports it) to what the prompt does.
// Readline's bindings: Ctrl-A/E home/end, Ctrl-U kill before the cursor, Ctrl-K after it,
// Ctrl-W delete a word, Ctrl-C clear (twice on an empty line: leave), Ctrl-D leave on an
// empty line, Tab complete, ↑/↓ history.
import type { PromptAction } from './prompt-reducer.js';

/** The fields of Ink's `Key` we read (kept structural so tests need no Ink). */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

export type KeyIntent =
  | { kind: 'edit'; action: PromptAction }
  | { kind: 'submit' }
  | { kind: 'complete' }
  | { kind: 'interrupt' }
  | { kind: 'eof' }
  | { kind: 'none' };

const edit = (action: PromptAction): KeyIntent => ({ kind: 'edit', action });

export function keyToIntent(input: string, key: KeyInfo, lineIsEmpty: boolean): KeyIntent {
  if (key.return) return { kind: 'submit' };
  if (key.tab && !key.shift) return { kind: 'complete' };
  if (key.upArrow) return edit({ type: 'history-up' });
  if (key.downArrow) return edit({ type: 'history-down' });
  if (key.leftArrow) return edit(key.ctrl || key.meta ? { type: 'move-word', dir: -1 } : { type: 'move', by: -1 });
  if (key.rightArrow) return edit(key.ctrl || key.meta ? { type: 'move-word', dir: 1 } : { type: 'move', by: 1 });
  if (key.home) return edit({ type: 'home' });
  if (key.end) return edit({ type: 'end' });
  // Ink reports the Backspace key (0x7f, what terminals send) as `delete`, and 0x08 as
  // `backspace`; both erase backwards, as in every shell.
  if (key.backspace || key.delete) return edit(key.meta ? { type: 'delete-word' } : { type: 'delete-back' });
  if (key.ctrl) {
    switch (input) {
      case 'a':
        return edit({ type: 'home' });
      case 'e':
        return edit({ type: 'end' });
      case 'b':
        return edit({ type: 'move', by: -1 });
      case 'f':
        return edit({ type: 'move', by: 1 });
      case 'u':
        return edit({ type: 'kill-line' });
      case 'k':
        return edit({ type: 'kill-to-end' });
      case 'w':
        return edit({ type: 'delete-word' });
      case 'h':
        return edit({ type: 'delete-back' });
      case 'c':
        return { kind: 'interrupt' };
      case 'd':
        return lineIsEmpty ? { kind: 'eof' } : edit({ type: 'delete-forward' });
      default:
        return { kind: 'none' };
    }
  }
  if (key.meta && (input === 'b' || input === 'f')) return edit({ type: 'move-word', dir: input === 'b' ? -1 : 1 });
  if (key.escape || key.meta) return { kind: 'none' };
  if (input === '') return { kind: 'none' };
  return edit({ type: 'insert', text: input });
}

/**
 * Ink hands a burst of bytes (a paste, or keys sent faster than it reads, as tmux does) to
 * useInput as one `input`. Split it back into keys so `ls⏎` runs `ls` and `set Ta⇥` completes.
 * Escape sequences inside a burst are dropped: they cannot be told apart reliably there.
 */
export function splitBurst(input: string): { input: string; key: KeyInfo }[] {
  const out: { input: string; key: KeyInfo }[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ input: text, key: {} });
    text = '';
  };
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    const code = ch.charCodeAt(0);
    if (ch === '\u001b') {
      flush();
      // Skip a CSI/SS3 sequence: ESC [ … final byte, or ESC O x.
      if (input[i + 1] === '[' || input[i + 1] === 'O') {
        i += 2;
        while (i < input.length && !/[@-~]/.test(input[i]!)) i++;
      }
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      flush();
      // CRLF is one Enter.
      if (ch === '\r' && input[i + 1] === '\n') i++;
      out.push({ input: '', key: { return: true } });
    } else if (ch === '\t') {
      flush();
      out.push({ input: '', key: { tab: true } });
    } else if (code === 0x7f || code === 0x08) {
      flush();
      out.push({ input: '', key: { backspace: true } });
    } else if (code < 0x20) {
      flush();
      out.push({ input: String.fromCharCode(code + 0x60), key: { ctrl: true } });
    } else text += ch;
  }
  flush();
  return out;
}

/** Whether Ink gave several keys at once (a plain multi-character paste is one insert). */
export function isBurst(input: string): boolean {
  return input.length > 1 && /[\u0000-\u001f\u007f]/.test(input);
}
