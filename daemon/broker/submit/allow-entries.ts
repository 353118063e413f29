// The entries of allowed_commands, read once at config load (docs/config.md "allowed_commands"):
//   - `http://…`, `https://…`: a URL rule for http jobs (runner/url-rule.ts);
//   - ending in `/`: a folder: any program under it, once resolved;
//   - otherwise a program and, optionally, its first arguments, in sh words: `/usr/bin/echo`,
//     `echo` (looked up in the daemon's PATH), `./run.sh` (against the config file's folder),
//     `git pull` (git, whose first argument must be `pull`). Trailing blanks mean nothing:
//     today's prefix `"echo "` is the program echo.
// Paths are kept as written (made absolute); the files they name are looked up at each submit
// (submit-gate.ts), so a program installed later counts without a reload.
import { hasGlob, ShellRefusal, shellWords, wordText, type Word } from './shell-words.js';
import { isUrlEntry, parseUrlRule, type UrlRule } from '../../../runner/url-rule.js';

export type AllowEntry =
  | { kind: 'program'; text: string; program: string; args: Word[] }
  | { kind: 'folder'; text: string; folder: string }
  | { kind: 'url'; text: string; rule: UrlRule };

const absolute = (p: string, base: string): string => (p.startsWith('/') ? p : `${base}/${p}`);

/** One entry; `base` is the config file's folder. Throws an Error saying what is wrong. */
export function parseAllowEntry(raw: string, base: string): AllowEntry {
  const text = raw.trim();
  if (text === '') throw new Error('expected a program, a folder ending in / or a URL, found an empty entry');
  if (isUrlEntry(text)) return { kind: 'url', text, rule: parseUrlRule(text) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new Error('expected an http or https URL, a program or a folder');
  if (text.endsWith('/')) {
    if (/[\n\r]/.test(text)) throw new Error('expected a folder, found a line break in it');
    return { kind: 'folder', text, folder: absolute(text, base) };
  }
  let words: Word[];
  try {
    words = shellWords(text);
  } catch (e) {
    if (e instanceof ShellRefusal) throw new Error(`${e.message}: an entry is a program and its first arguments`);
    throw e;
  }
  const program = wordText(words[0]!);
  if (program === null || hasGlob(words[0]!)) throw new Error('expected the program written out, found a glob or a $variable in it');
  if (program === '') throw new Error('expected a program, found an empty word');
  return { kind: 'program', text, program: program.includes('/') ? absolute(program, base) : program, args: words.slice(1) };
}

export function parseAllowEntries(raw: readonly string[], base: string): AllowEntry[] {
  return raw.map((r, i) => {
    try {
      return parseAllowEntry(r, base);
    } catch (e) {
      throw new Error(`allowed_commands[${i}]: ${JSON.stringify(r)}: ${(e as Error).message}`);
    }
  });
}
