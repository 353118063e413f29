// stopTrees stops many process trees as stopTree stops one (real processes): each tree's group
// and its escapees (a setsid grandchild, found by its marker) get SIGTERM; a tree that ends on
// it is not forced; one that ignores it is SIGKILLed after the shared grace period, forced;
// each tree's promise resolves when that tree is gone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { stopTrees, stopTreeBatched } from '../../proc/stop-tree.js';
import { alive } from '../helpers/proc.js';
import { pidsWithEnv } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { uniq } from '../helpers/uniq.js';

const MARK = 'BL_TEST_TREE';
const values: string[] = [];
// Whatever a failed test left: every process carrying one of its markers.
after(() => {
  for (const v of values) for (const p of pidsWithEnv(MARK, v)) process.kill(p, 'SIGKILL');
});

/** A tree in its own group: `script` run by sh, every process carrying MARK=value. */
function tree(value: string, script: string): { child: ChildProcess; exited: Promise<void> } {
  values.push(value);
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore', env: { ...process.env, [MARK]: value } });
  return { child, exited: new Promise((r) => child.once('exit', () => r())) };
}

test('stopTrees: polite trees end on SIGTERM, stubborn ones are killed after the grace, escapees too', async () => {
  const run = uniq('t');
  const polite = Array.from({ length: 40 }, (_, i) => tree(`${run}-p${i}`, 'sleep 1000 & exec sleep 1000'));
  // Ignores SIGTERM, with a grandchild that left the group (setsid) and ignores it too.
  const stubborn = Array.from({ length: 3 }, (_, i) => tree(`${run}-s${i}`, `trap '' TERM; setsid sh -c "trap '' TERM; sleep 1000; :" & sleep 1000; :`));
  const all = [...polite, ...stubborn];
  await waitFor('every tree up', () => all.every((t, i) => pidsWithEnv(MARK, `${run}-${i < 40 ? `p${i}` : `s${i - 40}`}`).length >= 2));
  // sh, its sleep, and the setsid sh with its sleep.
  for (let i = 0; i < 3; i++) await waitFor('the setsid grandchild', () => pidsWithEnv(MARK, `${run}-s${i}`).length === 4);

  const results = await Promise.all(
    stopTrees(
      all.map((t, i) => ({ pid: t.child.pid!, marker: { name: MARK, value: `${run}-${i < 40 ? `p${i}` : `s${i - 40}`}` } })),
      { grace: 300 },
    ),
  );
  assert.equal(results.length, 43);
  assert.ok(results.slice(0, 40).every((r) => !r.forced), 'the polite trees ended on SIGTERM');
  assert.ok(results.slice(40).every((r) => r.forced), 'the stubborn ones were killed');
  assert.ok(results.slice(40).every((r) => r.took >= 300), 'not before the grace period');
  for (let i = 0; i < 43; i++) {
    const v = `${run}-${i < 40 ? `p${i}` : `s${i - 40}`}`;
    assert.deepEqual(pidsWithEnv(MARK, v).filter(alive), [], `nothing of tree ${v} is left when its promise resolves`);
  }
  await Promise.all(all.map((t) => t.exited));
});

test('stopTreeBatched: stops asked for in one turn go out together, each resolving for its own tree', async () => {
  const run = uniq('b');
  const trees = Array.from({ length: 10 }, (_, i) => tree(`${run}-${i}`, 'exec sleep 1000'));
  await waitFor('every tree up', () => trees.every((_, i) => pidsWithEnv(MARK, `${run}-${i}`).length === 1));
  const rs = await Promise.all(trees.map((t, i) => stopTreeBatched({ pid: t.child.pid!, marker: { name: MARK, value: `${run}-${i}` } }, { grace: 5000 })));
  assert.ok(rs.every((r) => !r.forced));
  assert.deepEqual(trees.map((t) => alive(t.child.pid!)), trees.map(() => false));
});
