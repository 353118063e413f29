// Seeded random commands and sweep templates, built from shell fragments, against /bin/sh:
// no hostile sweep value ever runs (a marker it would make never appears), and a command the
// allow-list reader accepts means to sh what it read (its words, printed by sh, are ours).
// Deterministic: the same seeds every run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ShellRefusal, shellWords, wordScript, wordText } from '../../../../daemon/broker/submit/shell-words.js';
import { substitute } from '../../../../daemon/broker/submit/sweep.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bl-shell-fuzz-'));
const empty = path.join(dir, 'empty');
mkdirSync(empty);
const M = path.join(dir, 'MARK');
after(() => rmSync(dir, { recursive: true, force: true }));

/** A small LCG: the same sequence for the same seed. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

function sh(script: string): { status: number | null; stdout: string } {
  const r = spawnSync('/bin/sh', ['-c', script], { env: { M, X: 'x y', PATH: '/usr/bin:/bin' }, encoding: 'utf8', cwd: empty, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  return { status: r.status, stdout: r.stdout };
}

describe('sweep values against random templates', () => {
  const frags = ['echo ', ' ', '{v}', '"', "'", '$(', ')', '`', '${X:-', '}', '$((', '))', '\\', '\n', ';', '#', '<<E\n', '\nE\n', 'case x in x) ', ';; esac', '((', '[[ ', ' ]]', "$'", 'a', '=', '|', '$X', '{', '(', '<<<'];
  const values = ['$(touch $M)', '`touch $M`', ';touch $M;', "';touch $M;'", '";touch $M;"', '\\";touch $M;#', "\\';touch $M;#", '\ntouch $M\n', ')touch $M(', 'E\ntouch $M'];
  it('no value runs, whatever the template around it', () => {
    const r = random(20240601);
    let ran = 0;
    for (let t = 0; t < 40; t++) {
      let template = '';
      for (let k = 2 + r(6); k > 0; k--) template += frags[r(frags.length)];
      if (!template.includes('{v}')) template += '{v}';
      for (const v of values) {
        let command: string;
        try {
          command = substitute(template, { v });
        } catch {
          continue; // refused: a place no quoting holds
        }
        sh(command);
        ran++;
        assert.equal(existsSync(M), false, `template ${JSON.stringify(template)} with ${JSON.stringify(v)} ran it: ${JSON.stringify(command)}`);
      }
    }
    assert.ok(ran > 100, `only ${ran} commands ran`);
  });
});

describe('the allow-list reader against random commands', () => {
  const frags = [' ', 'a', 'b c', '"', "'", '\\', '$', '$X', '${X}', '$(', ')', '`', '#', '~', '=', '*', '?', '[', ']', '!', '{', '}', ';', '&', '|', '<', '>', '\n', '\r', '\t', 'touch $M', '\\\n', "$'", '"$"', "''", '""', '2', 'é'];
  it('what it accepts, sh reads as the same words; what it writes back runs nothing else', () => {
    const r = random(7);
    let compared = 0;
    for (let t = 0; t < 600; t++) {
      let src = '';
      for (let k = 1 + r(6); k > 0; k--) src += frags[r(frags.length)];
      let words;
      try {
        words = shellWords(src);
      } catch (e) {
        if (e instanceof ShellRefusal) continue;
        throw e;
      }
      const ours = sh(`printf '%s\\0' ${words.map(wordScript).join(' ')}`);
      assert.equal(existsSync(M), false, JSON.stringify(src));
      if (words.length === 0 || words.some((w) => wordText(w) === null)) continue;
      const theirs = sh(`printf '%s\\0' ${src}`);
      assert.equal(theirs.status, 0, JSON.stringify(src));
      assert.equal(ours.stdout, theirs.stdout, JSON.stringify(src));
      assert.equal(ours.stdout, words.map((w) => `${wordText(w)}\0`).join(''), JSON.stringify(src));
      compared++;
    }
    assert.ok(compared > 50, `only ${compared} compared`);
  });
});
