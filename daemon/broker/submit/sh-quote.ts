// Text made safe for POSIX sh, by where it goes. Used to substitute sweep values into a command
// and to write the command an allow-listed job runs: a value is always data, never syntax.

/** Characters that mean nothing to sh in any context: such text needs no quotes. */
const SAFE = /^[A-Za-z0-9_@%+,./:-]+$/;

export function isShSafe(s: string): boolean {
  return SAFE.test(s);
}

/** One shell word whose value is exactly `s`: as is when nothing in it is special, else in '…'. */
export function shQuote(s: string): string {
  if (SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Also plain after the program: `=` makes an assignment only in front of it. */
const SAFE_ARG = /^[A-Za-z0-9_@%+,./:=-]+$/;

/** shQuote for a word after the program (an argument): `--lr=0.1` stays bare. */
export function shQuoteArg(s: string): string {
  return SAFE_ARG.test(s) ? s : shQuote(s);
}

/** `s` written inside '…' already open: each ' closes the quote, adds \' and opens it again. */
export function inSingleQuotes(s: string): string {
  return s.replace(/'/g, `'\\''`);
}

/** `s` written inside "…": the four characters special there get a backslash. */
export function inDoubleQuotes(s: string): string {
  return s.replace(/[\\$`"]/g, (c) => `\\${c}`);
}
