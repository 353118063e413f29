import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveCommand } from '../../../daemon/supervisor/command-path.js';

test('resolveCommand: PATH search, relative to cwd, and whether a shell must run it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-cmd-'));
  try {
    const file = (name: string, body: string, mode = 0o755) => {
      const p = path.join(dir, name);
      writeFileSync(p, body);
      chmodSync(p, mode);
      return p;
    };
    const bang = file('bang', '#!/bin/sh\nexit 0\n');
    const plain = file('plain', 'exit 0\n');
    const empty = file('empty', '');
    file('noexec', '#!/bin/sh\n', 0o644);
    assert.deepEqual(resolveCommand('bang', '/', dir), { path: bang, viaShell: false });
    assert.deepEqual(resolveCommand('./plain', dir, undefined), { path: plain, viaShell: true });
    assert.deepEqual(resolveCommand(empty, '/', undefined), { path: empty, viaShell: true });
    assert.equal(resolveCommand('noexec', '/', dir), undefined);
    assert.equal(resolveCommand('nope', '/', dir), undefined);
    // An ELF binary found on a PATH with an empty entry in it.
    assert.deepEqual(resolveCommand('sh', '/', `:${dir}:/bin`), { path: '/bin/sh', viaShell: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
