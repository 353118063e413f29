// Which command lines may skip /bin/sh: only those the shell would run unchanged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainArgv } from '../../runner/direct-exec.js';

describe('plainArgv', () => {
  it('splits a plain command line into its words', () => {
    assert.deepEqual(plainArgv('/bin/true'), ['/bin/true']);
    assert.deepEqual(plainArgv('  sleep   0.05 '), ['sleep', '0.05']);
    assert.deepEqual(plainArgv('python3 run.py --n=3 -v out/x,y:z@1%'), ['python3', 'run.py', '--n=3', '-v', 'out/x,y:z@1%']);
  });
  it('leaves anything with shell syntax to the shell', () => {
    for (const c of ['echo $HOME', 'a; b', 'a && b', 'a | b', 'a > f', "a 'b c'", 'a "b"', 'a *.txt', 'a ~/x', 'a\nb', 'a `b`', 'a(b)', 'a #c', 'a \\b', 'a {b,c}', 'a ?']) {
      assert.equal(plainArgv(c), null, c);
    }
  });
  it('leaves builtins, keywords and assignments to the shell', () => {
    for (const c of ['exit 3', 'cd /tmp', 'true', 'echo hi', 'exec sleep 1', 'kill 12', 'test -f x', '[ -f x ]', 'FOO=1 cmd', 'if', 'wait']) {
      assert.equal(plainArgv(c), null, c);
    }
  });
});
