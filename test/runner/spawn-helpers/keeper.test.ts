// onEof 'keep': when the parent goes, each helper stays with its running jobs as their keeper,
// writes each one's end to the file its request named (whole: tmp + rename), also the ends it
// reported just before (the parent may have died before recording them), and exits once no
// job is left. Against both helpers, as every protocol case.
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HelperSpawner } from '../../../runner/spawn-helpers/helper-spawner.js';
import { NODE_HELPER_PROGRAM, PYTHON_HELPER_PROGRAM } from '../../../runner/spawn-helpers/programs.js';
import { endFileName, parseEnd } from '../../../runner/spawn-helpers/end-file.js';
import type { SpawnEvents } from '../../../runner/spawner.js';
import { alive, descendants, isSpawner, ppidOf } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';

const hold = setInterval(() => undefined, 1000);
after(() => clearInterval(hold));

const sh = (script: string) => [{ file: '/bin/sh', args: ['-c', script] }];

for (const program of [PYTHON_HELPER_PROGRAM, NODE_HELPER_PROGRAM]) {
  describe(`the ${program.name} as a keeper`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-keeper-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('outlives its parent while it has jobs, writes their ends, and exits after the last', async () => {
      const helpers = new HelperSpawner([program], { onEof: 'keep', max: 1, env: { BL_TEST_KEEPER: dir } });
      const mark = path.join(dir, 'go');
      const end = (name: string) => path.join(dir, endFileName(name, 1));
      const pids = new Map<string, number>();
      const exits = new Map<string, number | null>();
      const ev = (name: string): SpawnEvents => ({
        spawned: (p) => pids.set(name, p),
        failed: (m) => assert.fail(m),
        exited: (code) => exits.set(name, code),
        lost: () => undefined,
      });
      const start = (name: string, script: string, endFile: string | undefined) =>
        helpers.spawn({ tries: sh(script), cwd: dir, env: {}, logPath: path.join(dir, `${name}.log`), header: null, ...(endFile ? { endFile } : {}) }, ev(name));
      // Ended and reported before the parent goes: written too, as the parent may not have
      // recorded it.
      start('early', 'exit 3', end('early'));
      await waitFor('the early job to be reported', () => exits.has('early'));
      start('waits', `while [ ! -e ${mark} ]; do sleep 0.02; done; echo bye; exit 7`, end('waits'));
      start('killed', `while [ ! -e ${mark} ]; do sleep 0.02; done; kill -TERM $$`, end('killed'));
      start('unnamed', `while [ ! -e ${mark} ]; do sleep 0.02; done; exit 1`, undefined);
      await waitFor('the three jobs to run', () => ['waits', 'killed', 'unnamed'].every((n) => pids.has(n)));
      const keeper = ppidOf(pids.get('waits')!)!;
      assert.ok(isSpawner(keeper), 'a job is a child of its helper');
      // The helper's own variables mark it (a restarted daemon finds its keepers so); its jobs
      // do not inherit them.
      assert.ok(readFileSync(`/proc/${keeper}/environ`, 'utf8').includes(`\0BL_TEST_KEEPER=${dir}\0`));
      assert.ok(!readFileSync(`/proc/${pids.get('waits')}/environ`, 'utf8').includes('BL_TEST_KEEPER='));
      helpers.close();
      await waitFor('the early end to be written', () => existsSync(end('early')));
      const early = parseEnd(readFileSync(end('early'), 'utf8'))!;
      assert.deepEqual([early.code, early.signal, early.pid], [3, null, pids.get('early')]);
      // The helper stays, its jobs' parent, after its own parent let it go.
      assert.ok(alive(keeper), 'the keeper lives while its jobs run');
      assert.equal(ppidOf(pids.get('waits')!), keeper);
      assert.ok(!existsSync(end('waits')), 'a running job has no end');
      writeFileSync(mark, '');
      await waitFor('the keeper to exit after its last job', () => !alive(keeper));
      const waits = parseEnd(readFileSync(end('waits'), 'utf8'))!;
      assert.deepEqual([waits.code, waits.signal, waits.pid], [7, null, pids.get('waits')]);
      assert.ok(waits.at > 0 && waits.at <= Date.now());
      const killed = parseEnd(readFileSync(end('killed'), 'utf8'))!;
      assert.deepEqual([killed.code, killed.signal], [null, 'SIGTERM']);
      if (program === PYTHON_HELPER_PROGRAM) {
        // The Python helper has the rusage of what it waited for.
        assert.ok(waits.cpu !== null && waits.cpu >= 0 && waits.maxrss !== null && waits.maxrss > 0, JSON.stringify(waits));
      }
      assert.equal(readFileSync(path.join(dir, 'waits.log'), 'utf8'), 'bye\n', 'its log was written on');
      // Only named ends; no temporary file left behind.
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.end')).sort(), [endFileName('early', 1), endFileName('killed', 1), endFileName('waits', 1)]);
      assert.equal(exits.has('waits'), false, 'its parent heard nothing after it let go');
    });

    test('with no job left the keeper exits at once when its parent goes', async () => {
      const before = new Set(descendants(process.pid).filter(isSpawner));
      const helpers = new HelperSpawner([program], { onEof: 'keep', max: 1 });
      let code: number | null | undefined;
      helpers.spawn({ tries: sh('exit 0'), cwd: dir, env: {}, logPath: path.join(dir, 'quick.log'), header: null }, {
        spawned: () => undefined,
        failed: (m) => assert.fail(m),
        exited: (c) => (code = c),
        lost: () => undefined,
      });
      await waitFor('the job to end', () => code === 0);
      helpers.close();
      await waitFor('the helper to exit', () => descendants(process.pid).filter((p) => isSpawner(p) && !before.has(p)).length === 0);
    });
  });
}
