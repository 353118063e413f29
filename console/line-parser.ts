// Pure parsing of a console line: words with shell-like quotes, `;`-separated statements
// (for `-c "a; b"`), and where the cursor sits for completion. No I/O.

export interface Token {
  /** The word with quotes removed and escapes applied. */
  value: string;
  /** Offsets in the line, quotes included. */
  start: number;
  end: number;
  /** The line ended inside this token's quote (only while typing). */
  unterminated: boolean;
}

/** Splits a line into words: whitespace separates, '…' and "…" group, \ escapes outside '…'. */
export function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    const start = i;
    let value = '';
    let quote: '"' | "'" | undefined;
    for (; i < line.length; i++) {
      const ch = line[i]!;
      if (quote) {
        if (ch === quote) quote = undefined;
        else if (ch === '\\' && quote === '"' && i + 1 < line.length && /["\\]/.test(line[i + 1]!)) value += line[++i];
        else value += ch;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '\\' && i + 1 < line.length) value += line[++i];
      else if (/\s/.test(ch)) break;
      else value += ch;
    }
    out.push({ value, start, end: i, unterminated: quote !== undefined });
  }
  return out;
}

export function words(line: string): string[] {
  return tokenize(line).map((t) => t.value);
}

/** `a; b` → ['a', 'b'], leaving `;` inside quotes alone. Empty statements are dropped. */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '\\' && i + 1 < text.length) {
      cur += ch + text[++i];
      continue;
    } else if (ch === ';' || ch === '\n') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** The raw text after the first word (a `submit` command is a shell string: keep it as typed). */
export function restAfterFirstWord(line: string): string {
  const toks = tokenize(line);
  return toks.length < 2 ? '' : line.slice(toks[1]!.start).trim();
}

export interface CursorWord {
  /** Position of the word under the cursor: 0 = the command. */
  index: number;
  /** Words before it (quotes removed). */
  before: string[];
  /** What is typed of it so far (quotes removed). */
  partial: string;
  /** Where that word starts in the line (== cursor for a new empty word). */
  start: number;
}

/** Which word the cursor completes: only the text before the cursor counts. */
export function wordAtCursor(line: string, cursor: number): CursorWord {
  const head = line.slice(0, cursor);
  const toks = tokenize(head);
  const last = toks[toks.length - 1];
  const inWord = last !== undefined && (last.end === head.length && (last.unterminated || !/\s$/.test(head)));
  if (!inWord) return { index: toks.length, before: toks.map((t) => t.value), partial: '', start: cursor };
  return { index: toks.length - 1, before: toks.slice(0, -1).map((t) => t.value), partial: last.value, start: last.start };
}

/** Quotes a word for the line when it needs it (completions with spaces or quotes). */
export function quoteWord(w: string): string {
  if (w !== '' && !/[\s"'\\;]/.test(w)) return w;
  return `'${w.replace(/'/g, `'\\''`)}'`;
}
