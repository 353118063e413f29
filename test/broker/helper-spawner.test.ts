// The daemon's jobs are forked by helper processes; a burst goes to more than one helper
// (Node's spawn blocks a helper until the child has exec'd), up to the cap, never past it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HelperSpawner, SPAWNER_MAIN } from '../../daemon/broker/helper-spawner.js';
import type { SpawnEvents } from '../../daemon/broker/spawner.js';
import { descendants } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

// Helpers never keep their parent alive (the daemon has its own handles): this test holds
// the event loop open itself.
const hold = setInterval(() => undefined, 1000);
after(() => clearInterval(hold));

function spawnerChildren(): number[] {
  return descendants(process.pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('spawner-main');
    } catch {
      return false;
    }
  });
}

test('a burst of starts is spread over helpers up to the cap; each job reports its pid, exit and log', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-helpers-'));
  const pool = new HelperSpawner(SPAWNER_MAIN, 'spawner', 2);
  try {
    const results = Array.from({ length: 6 }, (_, i) => {
      let pid = 0;
      return new Promise<{ pid: number; code: number | null }>((resolve, reject) => {
        const ev: SpawnEvents = {
          spawned: (p) => (pid = p),
          failed: (m) => reject(new Error(m)),
          exited: (code) => resolve({ pid, code }),
          lost: (m) => reject(new Error(m)),
        };
        pool.spawn({ tries: [{ file: '/bin/sh', args: ['-c', `echo job ${i} $JOB_N; exit ${i}`] }], cwd: dir, env: { JOB_N: `n${i}` }, logPath: path.join(dir, `${i}.log`), header: null }, ev);
      });
    });
    // Six requests sent at once: the first helper is busy forking when the second comes.
    assert.equal(spawnerChildren().length, 2, 'two helpers, the cap');
    const done = await Promise.all(results);
    done.forEach((r, i) => {
      assert.ok(r.pid > 1);
      assert.equal(r.code, i);
      // The job's own variables on top of the environment it inherits.
      assert.equal(readFileSync(path.join(dir, `${i}.log`), 'utf8'), `job ${i} n${i}\n`);
    });
  } finally {
    pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await waitFor('the helpers to exit once closed', () => spawnerChildren().length === 0);
});

test('a job inherits the environment of the helper unless the request gives a base', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-helpers-'));
  const pool = new HelperSpawner(SPAWNER_MAIN, 'spawner', 1);
  const run = (baseEnv?: Record<string, string>) =>
    new Promise<string>((resolve, reject) => {
      const log = path.join(dir, `${Math.random()}.log`);
      pool.spawn({ tries: [{ file: '/bin/sh', args: ['-c', 'echo "${HOME:-none} $X"'] }], cwd: dir, env: { X: 'x' }, ...(baseEnv ? { baseEnv } : {}), logPath: log, header: null }, {
        spawned: () => undefined,
        failed: (m) => reject(new Error(m)),
        exited: () => resolve(readFileSync(log, 'utf8')),
        lost: (m) => reject(new Error(m)),
      });
    });
  try {
    assert.equal(await run(), `${process.env.HOME ?? 'none'} x\n`);
    assert.equal(await run({ PATH: process.env.PATH! }), 'none x\n');
  } finally {
    pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
