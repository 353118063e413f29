// Which python3 runs the spawn helper: the first on the PATH that is a program, so that a
// version manager's shim (a script, 0.1-1 s a start) is passed by.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findPython } from '../../../runner/spawn-helpers/programs.js';

describe('findPython', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'bl-python-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const [empty, shims, bin] = ['empty', 'shims', 'bin'].map((n) => path.join(root, n));
  for (const d of [empty!, shims!, bin!]) mkdirSync(d);
  writeFileSync(path.join(shims!, 'python3'), '#!/bin/sh\nexec python3 "$@"\n');
  chmodSync(path.join(shims!, 'python3'), 0o755);
  copyFileSync('/bin/true', path.join(bin!, 'python3'));
  chmodSync(path.join(bin!, 'python3'), 0o755);

  it('passes a script named python3 by for the next program of that name', () => {
    assert.equal(findPython([empty, shims, bin].join(':')), path.join(bin!, 'python3'));
  });
  it('with only scripts (or nothing) on the PATH, gives the name for the shell to look up', () => {
    assert.equal(findPython(shims!), 'python3');
    assert.equal(findPython(''), 'python3');
  });
});
