// Where each `{name}` of a sweep's command sits, as sh would read the command: unquoted, in
// '…', in "…", in a comment, or somewhere a value cannot be quoted for sure (backticks, $((…)),
// bash's ((…)) and [[…]] (which evaluate numbers, array subscripts and all), ${…}, a
// here-document, bash's $'…', after a backslash, in a here-document's delimiter). sweep.ts quotes
// each value for its place, so a value is one piece of data and never syntax; where it cannot
// be quoted, only a value with no special character may go. A lexer, not a parser: it follows
// quotes and nesting ($(…) inside "…" starts unquoted again), which is what decides how a value
// must be written. Anything it does not place is `other`: refused unless plain (fail closed).

export type Place = 'plain' | 'single' | 'double' | 'comment' | 'backtick' | 'arith' | 'brace' | 'heredoc' | 'other';

export interface Slot {
  start: number;
  end: number;
  name: string;
  place: Place;
}

/**
 * What the lexer is inside. `depth`: parentheses (braces in ${…}) opened in it; `cases`: `case`
 * words not yet closed by `esac` (whose patterns end in a `)` that closes nothing); `close`:
 * what ends an arith frame.
 */
type Frame = { k: 'plain' | 'double' | 'arith' | 'brace'; depth: number; cases: number; close?: string };

const frame = (k: Frame['k'], close?: string): Frame => ({ k, depth: 0, cases: 0, ...(close ? { close } : {}) });

// `{name}`, but not the shell's `${name}`.
export const PLACEHOLDER = /(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Where a word may start: a `#` there begins a comment, `case` a case. */
const BEFORE_WORD = /[\s;&|()<>]/;

const wordAt = (text: string, i: number): boolean => i === 0 || BEFORE_WORD.test(text[i - 1]!);

export function placeholderSlots(text: string): Slot[] {
  const at = new Map<number, RegExpMatchArray>();
  for (const m of text.matchAll(PLACEHOLDER)) at.set(m.index!, m);
  if (at.size === 0) return [];
  const slots = new Map<number, Slot>();
  const stack: Frame[] = [frame('plain')];
  let heredocs = 0;
  /** Inside ${…} or $((…)) nothing is quoted for sure, whatever is nested there. */
  const place = (natural: Place): Place => (stack.some((f) => f.k === 'brace') ? 'brace' : stack.some((f) => f.k === 'arith') ? 'arith' : natural);
  const put = (s: number, p: Place) => {
    const m = at.get(s)!;
    slots.set(s, { start: s, end: s + m[0].length, name: m[1]!, place: p });
  };
  const within = (from: number, to: number, p: Place) => {
    for (const s of at.keys()) if (s >= from && s < to) put(s, p);
  };
  let i = 0;
  while (i < text.length) {
    const top = stack.at(-1)!;
    if (at.has(i)) {
      put(i, place(top.k));
      i += at.get(i)![0].length;
      continue;
    }
    const c = text[i]!;
    if (c === '\\') {
      // A backslash before a value would escape its first character, whatever that is.
      if (at.has(i + 1)) {
        put(i + 1, 'other');
        i += 1 + at.get(i + 1)![0].length;
      } else i += 2;
      continue;
    }
    if (top.k === 'double') {
      if (c === '"') {
        stack.pop();
        i++;
      } else if (c === '$' || c === '`') i = opened(text, i, stack, within);
      else i++;
      continue;
    }
    // Unquoted: the command itself, $(…), $((…)) and ${…} read quotes and nesting alike.
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end < 0 ? text.length : end;
      within(i + 1, stop, place('single'));
      i = stop + 1;
    } else if (c === '"') {
      stack.push(frame('double'));
      i++;
    } else if (c === '$' || c === '`') i = opened(text, i, stack, within);
    else if (top.k === 'arith' && top.depth === 0 && top.close && text.startsWith(top.close, i)) {
      stack.pop();
      i += top.close.length;
    } else if (top.k === 'plain' && wordAt(text, i) && /^(?:\(\(|\[\[[\s])/.test(text.slice(i, i + 3))) {
      stack.push(frame('arith', c === '(' ? '))' : ']]'));
      i += 2;
    } else if (top.k === 'plain' && wordAt(text, i) && /^case\s/.test(text.slice(i, i + 5))) {
      top.cases++;
      i += 4;
    } else if (top.k === 'plain' && wordAt(text, i) && /^esac(?:$|[\s;&|)])/.test(text.slice(i, i + 5))) {
      if (top.cases > 0) top.cases--;
      i += 4;
    } else if (c === '#' && top.k === 'plain' && wordAt(text, i)) {
      const nl = text.indexOf('\n', i);
      const stop = nl < 0 ? text.length : nl;
      within(i, stop, place('comment'));
      i = stop;
    } else if (c === '<' && text[i + 1] === '<') {
      if (text[i + 2] === '<') i += 3; // bash's <<< word: an ordinary word follows
      else {
        heredocs++;
        i += 2;
      }
    } else if (c === '\n' && heredocs > 0) {
      // The here-documents opened on this line follow it; their bodies and delimiters are
      // not followed: from here to the end, values must need no quoting.
      within(i, text.length, 'heredoc');
      break;
    } else if (c === '(' || c === '{') {
      if ((c === '(' && top.k !== 'brace') || (c === '{' && top.k === 'brace')) top.depth++;
      i++;
    } else if (c === ')' || c === '}') {
      if (c === ')' && top.k === 'plain' && top.depth === 0 && top.cases > 0) {
        i++; // a case pattern's end
      } else if ((c === ')' && top.k !== 'brace') || (c === '}' && top.k === 'brace')) {
        if (top.depth > 0) top.depth--;
        else if (stack.length > 1) stack.pop();
        i++;
      } else i++;
    } else i++;
  }
  if (heredocs > 0) {
    // A here-document's delimiter word was read as plain above; a value there is `other`.
    for (const m of text.matchAll(/<<-?[ \t]*([^\s;&|()<>]+)/g)) within(m.index!, m.index! + m[0].length, 'other');
  }
  // Whatever the lexer skipped over (it should be nothing) is refused unless plain.
  for (const s of at.keys()) if (!slots.has(s)) put(s, 'other');
  return [...slots.values()].sort((a, b) => a.start - b.start);
}

/** `$((`, `$(`, `${` or a backtick at `i`: pushes what it opens (a backtick is read to its end). */
function opened(text: string, i: number, stack: Frame[], within: (from: number, to: number, p: Place) => void): number {
  if (text[i] === '`') {
    let j = i + 1;
    while (j < text.length && text[j] !== '`') j += text[j] === '\\' ? 2 : 1;
    within(i + 1, j, 'backtick');
    return j + 1;
  }
  const n = text[i + 1];
  if (n === "'") {
    // bash's $'…': a backslash escapes a quote there, so '…' quoting does not hold.
    let j = i + 2;
    while (j < text.length && text[j] !== "'") j += text[j] === '\\' ? 2 : 1;
    within(i + 2, j, 'other');
    return j + 1;
  }
  if (n === '(' && text[i + 2] === '(') {
    stack.push(frame('arith', '))'));
    return i + 3;
  }
  if (n === '(') {
    stack.push(frame('plain'));
    return i + 2;
  }
  if (n === '{') {
    stack.push(frame('brace'));
    return i + 2;
  }
  return i + 1;
}
