// A sweep's values are data, always: each `{name}` of a command becomes one shell word of the
// value, quoted for where it stands (unquoted, in '…', in "…", inside $(…)); where a value
// cannot be quoted for sure (backticks, $((…)), ${…}, a here-document, after a backslash) only
// plain values go. Checked by running the substituted commands through /bin/sh.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { placeholderSlots } from '../../../../daemon/broker/submit/shell-context.js';
import { substitute } from '../../../../daemon/broker/submit/sweep.js';
import { BlError } from '../../../../contract/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bl-sweep-quote-'));
const marker = path.join(dir, 'X');
after(() => rmSync(dir, { recursive: true, force: true }));

/** What the shell prints for the command, with no injection having made the marker. */
function run(command: string): string {
  const out = execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', M: marker } });
  assert.equal(existsSync(marker), false, `the command made the marker: ${command}`);
  return out;
}

const HOSTILE = [
  'a b',
  "it's",
  'say "hi"',
  '$(touch $M)',
  '`touch $M`',
  'a; touch $M',
  'a && touch $M',
  'a | touch $M',
  'line\ntouch $M',
  'cr\r\ntouch $M',
  '$HOME ${HOME} $M',
  '\\',
  "\\'",
  '*',
  '',
  '-n',
  '~',
  '# not a comment',
  "'; touch $M; '",
  '"; touch $M; "',
  '日本',
];

describe('placeholderSlots', () => {
  const cases: [string, string, string[]][] = [
    ['unquoted', 'echo {a} x{b}y', ['plain', 'plain']],
    ['single and double quotes', `echo '{a}' "{b}" "'{c}'" '"{d}"'`, ['single', 'double', 'double', 'single']],
    ['$(…) starts unquoted, even inside "…"', 'echo "$(echo {a} "{b}")" $(echo \'{c}\')', ['plain', 'double', 'single']],
    ['a comment', 'echo {a} # {b}', ['plain', 'comment']],
    ['backticks', 'echo `echo {a}` "`echo {b}`"', ['backtick', 'backtick']],
    ['arithmetic', 'echo $(( {a} + 1 )) {b}', ['arith', 'plain']],
    ['inside ${…}, whatever is nested', 'echo ${X:-{a}} "${X:-\'{b}\'}" {c}', ['brace', 'brace', 'plain']],
    ['after a backslash', 'echo \\{a} "\\{b}"', ['other', 'other']],
    ["bash's $'…'", "echo $'{a}' '{b}'", ['other', 'single']],
    ["bash's ((…)) and [[…]]", 'if (( {a} > 1 )) && [[ {b} == x ]]; then echo {c}; fi', ['arith', 'arith', 'plain']],
    ['a case inside $(…) inside "…": its patterns close nothing', 'echo "$(case x in x) echo {a};; esac)" "{b}"', ['plain', 'double']],
    ['a here-document and what follows it', 'cat <<EOF\n{a}\nEOF\necho {b}', ['heredoc', 'heredoc']],
    ['a here-document delimiter', 'cat <<{a}', ['other']],
    ["the shell's ${name} is no placeholder", 'echo ${a} {b}', ['plain']],
  ];
  for (const [name, text, places] of cases) it(name, () => assert.deepEqual(placeholderSlots(text).map((s) => s.place), places));
});

describe('substitute: a value is one word of data', () => {
  it('unquoted: each value is one argument', () => {
    for (const v of HOSTILE) assert.equal(run(substitute(`printf '[%s]' {v}`, { v })), `[${v}]`, JSON.stringify(v));
  });
  it('joined to text: one argument still', () => {
    for (const v of HOSTILE) assert.equal(run(substitute(`printf '[%s]' --opt={v}.x`, { v })), `[--opt=${v}.x]`, JSON.stringify(v));
  });
  it("inside '…'", () => {
    for (const v of HOSTILE) assert.equal(run(substitute(`printf '[%s]' 'pre {v} post'`, { v })), `[pre ${v} post]`, JSON.stringify(v));
  });
  it('inside "…"', () => {
    for (const v of HOSTILE) assert.equal(run(substitute(`printf '[%s]' "pre {v} \${M:+post}"`, { v })), `[pre ${v} post]`, JSON.stringify(v));
  });
  it('inside $(…) inside "…"', () => {
    for (const v of HOSTILE) assert.equal(run(substitute(`printf '[%s]' "$(printf '%s' {v})"`, { v })), `[${v.replace(/\n+$/, '')}]`, JSON.stringify(v));
  });
  it('inside a case inside $(…) inside "…"', () => {
    for (const v of HOSTILE) {
      assert.equal(run(substitute(`printf '[%s]' "$(case x in x) printf '%s' {v};; esac)"`, { v })), `[${v.replace(/\n+$/, '')}]`, JSON.stringify(v));
    }
  });
  it('in the README example, with redirect and $BL_OUTPUT_DIR, plain values are as before', () => {
    assert.equal(substitute('echo lr={lr} depth={depth} > $BL_OUTPUT_DIR/result', { lr: 0.01, depth: 4 }), 'echo lr=0.01 depth=4 > $BL_OUTPUT_DIR/result');
  });
  it('a value that is an assignment stays an argument, never sets a variable', () => {
    const command = substitute('{v} printf ok', { v: 'PATH=/nowhere' });
    assert.equal(command, "'PATH=/nowhere' printf ok");
    assert.throws(() => run(command), /PATH=\/nowhere: not found/);
  });

  const refused: [string, string][] = [
    ['backticks', 'echo `echo {v}`'],
    ['arithmetic', 'echo $(( {v} ))'],
    ['${…}', 'echo ${X:-{v}}'],
    ['a here-document', 'cat <<EOF\n{v}\nEOF'],
    ['after a backslash', 'echo \\{v}'],
    ["$'…'", "echo $'{v}'"],
    ['((…))', 'echo hi && (( {v} ))'],
    ['[[…]]', '[[ {v} -eq 1 ]]'],
    ['a comment, with a line break', 'echo hi # {v}'],
  ];
  for (const [name, text] of refused) {
    it(`refuses a value it cannot quote: ${name}`, () => {
      assert.throws(() => substitute(text, { v: 'a\n$(touch X)' }), (e: unknown) => e instanceof BlError && e.status === 400 && /the value "a\\n\$\(touch X\)" of \{v\} stands/.test(e.message));
    });
    it(`takes a plain value there: ${name}`, () => assert.doesNotThrow(() => substitute(text, { v: '0.5' })));
  }
});
