// Stopping a cgroup on this machine, both ways: cgroup.kill, and where that file is missing,
// freezing the group and killing each member. Members that ignore SIGTERM and left the
// session go; the group's accounting is read. Real processes in a real cgroup under a
// subtree made for the test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setupCgroups, type Cgroups } from '../../../proc/cgroup/setup.js';
import { members, stopGroup } from '../../../proc/cgroup/stop-group.js';
import { readUsage } from '../../../proc/cgroup/usage.js';
import { alive } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';

describe('stopGroup', () => {
  let cg: Cgroups;
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bl-cg-stop-'));
    // true: this machine has cgroup v2; a host without it fails here, saying why.
    cg = setupCgroups(true, dir);
  });
  after(() => {
    cg?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Three members that ignore SIGTERM, one of them in a session of its own. */
  async function stubborn(name: string) {
    const g = cg.tree!.make(name, null);
    const script = `for f; do echo $$ > "$f"; done; trap '' TERM; (setsid sleep 1000 &); sleep 1000 & wait`;
    const child = spawn('/bin/sh', ['-c', script, 'sh', ...g.procs], { stdio: 'ignore', detached: true });
    child.unref();
    const pids = await waitFor('three members', () => (members(g).length === 3 ? members(g) : undefined));
    return { g, pids };
  }

  for (const hasKill of [true, false]) {
    it(`kills every member after the grace period (${hasKill ? 'cgroup.kill' : 'freeze and SIGKILL each'})`, async () => {
      const { g, pids } = await stubborn(hasKill ? 'kill-file' : 'freeze');
      const r = await stopGroup(g, { grace: 200, hasKill });
      assert.equal(r.forced, true, 'they ignored SIGTERM');
      assert.ok(r.took >= 200);
      assert.deepEqual(members(g), []);
      await waitFor('every member reaped or gone', () => pids.every((p) => !alive(p)));
      const u = readUsage(g);
      assert.ok(u.cpuUsec > 0, 'CPU time from cpu.stat');
      assert.ok(u.memoryPeak === null || u.memoryPeak > 0);
      assert.equal(u.oomKills, 0);
      cg.tree!.remove(g);
    });
  }

  it('an empty group is stopped at once', async () => {
    const g = cg.tree!.make('empty', null);
    assert.deepEqual(await stopGroup(g, { grace: 10_000, hasKill: true }), { forced: false, took: 0 });
    cg.tree!.remove(g);
  });
});
