// The allow-list's reading of a command: words as sh cuts them, every piece of shell syntax
// that is not a plain word list refused with its token and what it would do, and each word
// written back for sh meaning exactly what was read.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { hasGlob, literalWord, ShellRefusal, shellWords, wordScript, wordText, type Part } from '../../../../daemon/broker/submit/shell-words.js';
import { inDoubleQuotes, inSingleQuotes, shQuote } from '../../../../daemon/broker/submit/sh-quote.js';

const texts = (src: string) => shellWords(src).map((w) => wordText(w));

function refusal(src: string): string {
  try {
    shellWords(src);
  } catch (e) {
    assert.ok(e instanceof ShellRefusal, `a ShellRefusal, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(src)} to be refused`);
}

/** What sh makes of a script: its words, one a line, through printf. */
function shWords(script: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${script}`], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: '/tmp', A: 'x y', EMPTY: '' } });
  return out.split('\0').slice(0, -1);
}

describe('shellWords: words', () => {
  const cases: [string, string, (string | null)[]][] = [
    ['blanks separate', 'echo  hi\tthere', ['echo', 'hi', 'there']],
    ['trailing and leading blanks', '  echo hi  ', ['echo', 'hi']],
    ['single quotes keep everything', `echo 'a;b && c | d > e $(f) \`g\` $h'`, ['echo', 'a;b && c | d > e $(f) `g` $h']],
    ['double quotes keep operators', 'echo "a;b|c&d>e<f(g)"', ['echo', 'a;b|c&d>e<f(g)']],
    ['backslash escapes an operator', 'echo a\\;b \\| c\\&\\>', ['echo', 'a;b', '|', 'c&>']],
    ['backslash in double quotes: only $ ` " \\ are escaped', 'echo "a\\$b\\`c\\"d\\\\e\\nf"', ['echo', 'a$b`c"d\\e\\nf']],
    ['quotes join a word', `ec'h'"o" a'b'"c"d`, ['echo', 'abcd']],
    ['empty quotes are an empty word', `echo '' ""`, ['echo', '', '']],
    ['a newline inside quotes is data', "echo 'a\nb' \"c\rd\"", ['echo', 'a\nb', 'c\rd']],
    ['# inside a word is a character', 'echo a#b', ['echo', 'a#b']],
    ['~ inside a word is a character', 'echo a~b', ['echo', 'a~b']],
    ['$ alone is a character', 'echo $ a$ "$"', ['echo', '$', 'a$', '$']],
    ['braces are characters', 'echo {a,b} x{1..3}', ['echo', '{a,b}', 'x{1..3}']],
    ['= after the program is an argument', 'echo A=b', ['echo', 'A=b']],
    ['a quoted assignment is a program name', "'A=b' echo", ['A=b', 'echo']],
    ['a trailing backslash is itself', 'echo a\\', ['echo', 'a\\']],
    ['unicode', 'echo héllo 日本', ['echo', 'héllo', '日本']],
  ];
  for (const [name, src, want] of cases) it(name, () => assert.deepEqual(texts(src), want));

  it('keeps $NAME and ${NAME} as parameters, quoted or not', () => {
    const w = shellWords('echo $A "${B}x" pre$C_1');
    const parts = (i: number): Part[] => w[i]!.parts;
    assert.deepEqual(parts(1), [{ t: 'param', name: 'A' }]);
    assert.deepEqual(parts(2), [{ t: 'param', name: 'B' }, { t: 'text', s: 'x' }]);
    assert.deepEqual(parts(3), [{ t: 'text', s: 'pre' }, { t: 'param', name: 'C_1' }]);
    assert.equal(wordText(w[1]!), null);
  });

  it('marks unquoted *, ? and [ ] as globs, quoted ones as text', () => {
    const w = shellWords(`ls *.txt a?c [!a]b '*' "?" \\[x]`);
    assert.deepEqual(w.map(hasGlob), [false, true, true, true, false, false, false]);
    assert.deepEqual(w[3]!.parts, [{ t: 'glob', s: '[!' }, { t: 'text', s: 'a' }, { t: 'glob', s: ']' }, { t: 'text', s: 'b' }]);
  });
});

describe('shellWords: refusals', () => {
  const cases: [string, string, RegExp][] = [
    ['a second command', 'echo hi; touch X', /^it has a ";" \(a second command\); allowed_commands names no operators$/],
    ['&&', 'echo hi && touch X', /^it has a "&&" \(a second command\)/],
    ['||', 'echo hi || touch X', /^it has a "\|\|" \(a second command\)/],
    ['&', 'echo hi & touch X', /^it has a "&" \(a second command, in the background\)/],
    ['a pipe', "echo hi | sh -c 'touch X'", /^it has a "\|" \(a pipe to a second command\)/],
    ['$(…)', 'echo $(touch X)', /^it has a "\$\(" \(a command substitution\); allowed_commands names no substitutions$/],
    ['$(…) in double quotes', 'echo "$(touch X)"', /^it has a "\$\(" \(a command substitution\)/],
    ['backticks', 'echo `touch X`', /^it has a "`" \(a command substitution\)/],
    ['backticks in double quotes', 'echo "`touch X`"', /^it has a "`" \(a command substitution\)/],
    ['<(…)', 'echo <(touch X)', /^it has a "<\(" \(a process substitution\)/],
    ['>(…)', 'echo >(touch X)', /^it has a ">\(" \(a process substitution\)/],
    ['${x:=…}', 'echo ${x:=$(touch X)}', /^it has a "\$\{x:=" \(a parameter expansion with an operator\)/],
    ['${x-…}', 'echo "${x-a}"', /^it has a "\$\{x-" \(a parameter expansion with an operator\)/],
    ['${#x}', 'echo ${#x}', /^it has a "\$\{#x" \(a parameter expansion with an operator\)/],
    ['$((…))', 'echo $((1+2))', /^it has a "\$\(\(" \(an arithmetic expansion\)/],
    ['a special parameter', 'echo $1 $@', /^it has a "\$1" \(a special parameter\)/],
    ["bash's $'…'", "echo $'\\x3b'", /^it has a "\$'" \(bash's/],
    ['a newline', 'echo hi\ntouch X', /^it has a newline \(a second command\); allowed_commands names no operators$/],
    ['\\r\\n', 'echo hi\r\ntouch X', /^it has a carriage return \(a line break\)/],
    ['a lone \\r', 'echo hi\rtouch X', /^it has a carriage return/],
    ['a line continuation', 'echo hi\\\ntouch X', /^it has a newline \(a line continuation\)/],
    ['>', 'echo pwned > FILE', /^it has a ">" \(a redirect\); allowed_commands names no redirects$/],
    ['>>', 'echo pwned >> FILE', /^it has a ">>" \(a redirect\)/],
    ['2>', 'echo pwned 2> FILE', /^it has a "2>" \(a redirect\)/],
    ['2>&1', 'echo pwned 2>&1', /^it has a "2>&" \(a redirect\)/],
    ['&>', 'echo pwned &> FILE', /^it has a "&>" \(a redirect\)/],
    ['<', 'cat < /etc/passwd', /^it has a "<" \(a redirect\)/],
    ['<<', 'cat <<EOF', /^it has a "<<" \(a here-document\)/],
    ['a subshell', '(touch X)', /^it has a "\(" \(a subshell\)/],
    ['a comment', 'echo hi #; touch X', /^it has a "#" \(a comment: the rest of the line is not run\)/],
    ['a tilde', 'ls ~/x', /^it has a "~" \(a home directory expansion\)/],
    ['an assignment in front', 'LD_PRELOAD=/tmp/x.so echo hi', /^it has a "LD_PRELOAD=" \(a variable set for the program\); a job sets variables in `env`$/],
    ['an unclosed single quote', "echo 'hi", /^it has a "'" \(a quote that is never closed\)$/],
    ['an unclosed double quote', 'echo "hi', /^it has a "\\"" \(a quote that is never closed\)$/],
  ];
  for (const [name, src, re] of cases) it(name, () => assert.match(refusal(src), re));
});

describe('wordScript: what sh reads back is what was parsed', () => {
  const hostile = ['a b', "it's", 'say "hi"', '$(touch X)', '`touch X`', 'a;b', 'line\nbreak', 'cr\rlf', '*', '', '-n', '~', '#x', 'A=b', '\\', '日本'];
  it('a literal word of any text is one word of that text', () => {
    const words = hostile.map(literalWord);
    assert.deepEqual(shWords(words.map(wordScript).join(' ')), hostile);
  });
  it('a parsed word means the same once written back', () => {
    const src = `'a b' "it's" 'say "hi"' '$(touch X)' "\\\`x\\\`" 'a;b' "line
break" '' \\- "\\\\"`;
    const words = shellWords(src);
    assert.deepEqual(shWords(words.map(wordScript).join(' ')), ['a b', "it's", 'say "hi"', '$(touch X)', '`x`', 'a;b', 'line\nbreak', '', '-', '\\']);
  });
  it('a parameter is one word, never split or globbed', () => {
    assert.equal(wordScript(shellWords('$A')[0]!), '"${A}"');
    assert.deepEqual(shWords(shellWords('$A pre${A}post $EMPTY').map(wordScript).join(' ')), ['x y', 'prex ypost', '']);
  });
  it('a glob stays a glob, its quoted parts text', () => {
    assert.equal(wordScript(shellWords(`'a b'*.txt`)[0]!), `'a b'*.txt`);
    assert.equal(wordScript(shellWords(`[!x]y`)[0]!), `[!x]y`);
  });
});

describe('sh-quote', () => {
  const values = ['plain', 'a b', "it's", '"', '$HOME', '`id`', '\\', 'x\ny', '', '*'];
  it('shQuote makes one word of the value', () => assert.deepEqual(shWords(values.map(shQuote).join(' ')), values));
  it('leaves plain text bare', () => assert.deepEqual(['0.1', '-n', 'a/b.c', 'x@y:z'].map(shQuote), ['0.1', '-n', 'a/b.c', 'x@y:z']));
  it('quotes =, ~, # and braces', () => assert.deepEqual(['A=b', '~', '#', '{a,b}'].map(shQuote), ["'A=b'", "'~'", "'#'", "'{a,b}'"]));
  it('inSingleQuotes and inDoubleQuotes keep the value inside their quotes', () => {
    assert.deepEqual(shWords(values.map((v) => `'${inSingleQuotes(v)}'`).join(' ')), values);
    assert.deepEqual(shWords(values.map((v) => `"${inDoubleQuotes(v)}"`).join(' ')), values);
  });
});
