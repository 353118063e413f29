// A command line cut into words as POSIX sh would cut it (single and double quotes, backslash
// escapes), for allowed_commands. It is strict by refusal: what a word list cannot say (an
// operator, a redirect, a substitution, a newline, a comment, a tilde, an assignment in front,
// a special parameter) is refused with the token and what it would have done. What passes is
// never handed to a shell as the user wrote it: the job runs the words (an argv), or a script
// written from them (wordScript), so a difference between this reading and a shell's cannot
// turn data into code.
import { shQuoteArg } from './sh-quote.js';

/** A piece of a word: text (quotes removed), a `$NAME` / `${NAME}`, or an unquoted glob character. */
export type Part = { t: 'text'; s: string } | { t: 'param'; name: string } | { t: 'glob'; s: string };

export interface Word {
  parts: Part[];
  /** The word as written, quotes and all. */
  raw: string;
}

/** Why a command cannot be a word list: the token as written and what it does in sh. */
export class ShellRefusal extends Error {
  constructor(
    readonly token: string,
    readonly what: string,
    /** What allowed_commands cannot name, ending the message; '' when the reason says it all. */
    readonly rest: string,
  ) {
    super(`it has a ${token === '\n' ? 'newline' : token === '\r' ? 'carriage return' : JSON.stringify(token)} (${what})${rest ? `; ${rest}` : ''}`);
    this.name = 'ShellRefusal';
  }
}

const OPERATORS = 'allowed_commands names no operators';
const REDIRECTS = 'allowed_commands names no redirects';
const SUBSTITUTIONS = 'allowed_commands names no substitutions';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** `<`, `>` and the redirects made with them; `digits` is a file descriptor written in front. */
function redirect(src: string, i: number, digits: string): ShellRefusal {
  const c = src[i]!;
  const n = src[i + 1];
  if (n === '(') return new ShellRefusal(`${c}(`, 'a process substitution', SUBSTITUTIONS);
  if (c === '<' && n === '<') return new ShellRefusal(`${digits}${src[i + 2] === '-' ? '<<-' : '<<'}`, 'a here-document', REDIRECTS);
  const two = n === '>' || n === '&' || n === '|' || (c === '<' && n === '<') ? `${c}${n}` : c;
  return new ShellRefusal(`${digits}${two}`, 'a redirect', REDIRECTS);
}

/** `$…` at `i`: a parameter part and where it ends, or the refusal. */
function dollar(src: string, i: number, quoted: boolean): { part: Part; end: number } {
  const n = src[i + 1];
  if (n === '(') {
    if (src[i + 2] === '(') throw new ShellRefusal('$((', 'an arithmetic expansion', SUBSTITUTIONS);
    throw new ShellRefusal('$(', 'a command substitution', SUBSTITUTIONS);
  }
  if (n === '{') {
    const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(src.slice(i));
    if (m) return { part: { t: 'param', name: m[1]! }, end: i + m[0].length };
    // What follows the name: `${x:=`, `${x%%`, `${#x`, `${1`…: shown up to the operator.
    const op = /^\$\{#?(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])?(?::?[-=+?]|##?|%%?|\/\/?|\^\^?|,,?|\[)?/.exec(src.slice(i))![0];
    throw new ShellRefusal(op, 'a parameter expansion with an operator', SUBSTITUTIONS);
  }
  if (n !== undefined && /[A-Za-z_]/.test(n)) {
    const name = NAME.exec(src.slice(i + 1))![0];
    return { part: { t: 'param', name }, end: i + 1 + name.length };
  }
  if (n !== undefined && /[0-9@*#?$!-]/.test(n)) throw new ShellRefusal(`$${n}`, 'a special parameter', SUBSTITUTIONS);
  if (!quoted && (n === "'" || n === '"')) throw new ShellRefusal(`$${n}`, "bash's $'…' or $\"…\" quoting", 'write it in plain quotes');
  return { part: { t: 'text', s: '$' }, end: i + 1 };
}

/**
 * The words of `src`, or a ShellRefusal. Unquoted `*`, `?` and `[…]` are glob parts (whether a
 * glob may stand is the allow-list's call); `$NAME` and `${NAME}` are param parts, quoted or not.
 */
export function shellWords(src: string): Word[] {
  const words: Word[] = [];
  let parts: Part[] | null = null;
  let start = 0;
  let bracket = false;
  const text = (s: string) => {
    const last = parts!.at(-1);
    if (last?.t === 'text') last.s += s;
    else parts!.push({ t: 'text', s });
  };
  let i = 0;
  const close = () => {
    if (parts) words.push({ parts, raw: src.slice(start, i) });
    parts = null;
    bracket = false;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') {
      close();
      i++;
      continue;
    }
    const atStart = parts === null;
    if (parts === null) {
      parts = [];
      start = i;
    }
    switch (c) {
      case '\n':
      case '\r':
        throw new ShellRefusal(c, c === '\n' ? 'a second command' : 'a line break', OPERATORS);
      case ';':
        throw new ShellRefusal(src[i + 1] === ';' ? ';;' : ';', 'a second command', OPERATORS);
      case '&':
        if (src[i + 1] === '&') throw new ShellRefusal('&&', 'a second command', OPERATORS);
        if (src[i + 1] === '>') throw new ShellRefusal('&>', 'a redirect', REDIRECTS);
        throw new ShellRefusal('&', 'a second command, in the background', OPERATORS);
      case '|':
        if (src[i + 1] === '|') throw new ShellRefusal('||', 'a second command', OPERATORS);
        throw new ShellRefusal('|', 'a pipe to a second command', OPERATORS);
      case '(':
      case ')':
        throw new ShellRefusal(c, 'a subshell', OPERATORS);
      case '<':
      case '>': {
        const before = src.slice(start, i);
        throw redirect(src, i, /^[0-9]+$/.test(before) ? before : '');
      }
      case '`':
        throw new ShellRefusal('`', 'a command substitution', SUBSTITUTIONS);
      case '#':
        if (atStart) throw new ShellRefusal('#', 'a comment: the rest of the line is not run', 'quote it to mean the character');
        text(c);
        i++;
        break;
      case '~':
        if (atStart) throw new ShellRefusal('~', 'a home directory expansion', 'write the path out');
        text(c);
        i++;
        break;
      case '$': {
        const d = dollar(src, i, false);
        if (d.part.t === 'text') text(d.part.s);
        else parts.push(d.part);
        i = d.end;
        break;
      }
      case '\\': {
        const n = src[i + 1];
        if (n === undefined) text('\\');
        else if (n === '\n' || n === '\r') throw new ShellRefusal(n, n === '\n' ? 'a line continuation' : 'a line break', OPERATORS);
        else text(n);
        i += 2;
        break;
      }
      case "'": {
        const end = src.indexOf("'", i + 1);
        if (end < 0) throw new ShellRefusal("'", 'a quote that is never closed', '');
        text(src.slice(i + 1, end));
        i = end + 1;
        break;
      }
      case '"':
        i = doubleQuoted(src, i + 1, parts, text);
        break;
      case '*':
      case '?':
        parts.push({ t: 'glob', s: c });
        i++;
        break;
      case '[': {
        // `[!…]` and `[^…]`: the negation must stay unquoted to mean one.
        const neg = src[i + 1] === '!' || src[i + 1] === '^';
        parts.push({ t: 'glob', s: neg ? `[${src[i + 1]}` : '[' });
        bracket = true;
        i += neg ? 2 : 1;
        break;
      }
      case ']':
        if (bracket) parts.push({ t: 'glob', s: ']' });
        else text(']');
        bracket = false;
        i++;
        break;
      default:
        text(c);
        i++;
    }
  }
  close();
  const first = words[0];
  if (first && /^[A-Za-z_][A-Za-z0-9_]*=/.test(first.raw)) {
    const token = first.raw.slice(0, first.raw.indexOf('=') + 1);
    throw new ShellRefusal(token, 'a variable set for the program', 'a job sets variables in `env`');
  }
  return words;
}

/** The inside of "…" from `i`; returns the index after the closing quote. */
function doubleQuoted(src: string, i: number, parts: Part[], text: (s: string) => void): number {
  let any = false;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"') {
      // "" is an empty word, or nothing added to one.
      if (!any) text('');
      return i + 1;
    }
    any = true;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === '$' || n === '`' || n === '"' || n === '\\') text(n);
      else if (n === '\n') {
        // A line continuation, removed inside quotes too.
      } else text(`\\${n ?? ''}`);
      i += 2;
    } else if (c === '`') {
      throw new ShellRefusal('`', 'a command substitution', SUBSTITUTIONS);
    } else if (c === '$') {
      const d = dollar(src, i, true);
      if (d.part.t === 'text') text(d.part.s);
      else parts.push(d.part);
      i = d.end;
    } else {
      text(c);
      i++;
    }
  }
  throw new ShellRefusal('"', 'a quote that is never closed', '');
}

/** A word of literal text (an argv element) as the parser would give it. */
export function literalWord(s: string): Word {
  return { parts: [{ t: 'text', s }], raw: s };
}

/** The word's value when it is plain text (no parameter, no glob); else null. */
export function wordText(w: Word): string | null {
  let s = '';
  for (const p of w.parts) {
    if (p.t !== 'text') return null;
    s += p.s;
  }
  return s;
}

export function hasGlob(w: Word): boolean {
  return w.parts.some((p) => p.t === 'glob');
}

/**
 * An argument written for sh so that it means what was parsed: text quoted, a parameter as
 * "${NAME}" (one word, never split or globbed), a glob bare. Two words are the same when their
 * scripts are: this is also how an entry's arguments are compared with a job's.
 */
export function wordScript(w: Word): string {
  if (w.parts.length === 0) return "''";
  return w.parts.map((p) => (p.t === 'text' ? (p.s === '' ? "''" : shQuoteArg(p.s)) : p.t === 'param' ? `"\${${p.name}}"` : p.s)).join('');
}
