// A chain A → B → C through a kill -9 of the daemon process: B released while dispatch was
// paused, the daemon killed, a new one started on the same state: B and C still know what
// they wait on, and the chain runs on in order, each job once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { Marks, submit, waitState } from '../../helpers/jobs.js';

describe('jobs after jobs through kill -9', () => {
  const processes: TestDaemon[] = [];
  after(async () => {
    for (const d of processes) {
      await d.stop();
      d.cleanup();
    }
  });

  it('a chain A → B → C runs in order, each job once, across a kill -9 and a restart', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 1 } } });
    processes.push(d);
    const marks = new Marks(path.join(d.dir, 'marks'));
    const out = path.join(d.dir, 'chain.out');
    const [a] = await submit(d, { command: `echo A >> ${out}; ${marks.awaited('a-go')}`, cwd: '/', key: 'chain-a' });
    const [b] = await submit(d, { command: `echo B >> ${out}`, cwd: '/', after: ['chain-a'] });
    const [c] = await submit(d, { command: `echo C >> ${out}`, cwd: '/', after: [b!.id] });
    // A second waiter on C, killed with the daemon while waiting: it must still wait after.
    const [d2job] = await submit(d, { command: `echo D >> ${out}`, cwd: '/', after: [c!.id] });
    await waitState(d, a!.id, 'running');
    // Paused while A ends: B is released but not started when the daemon dies.
    await d.api('PUT', '/broker/concurrency/0');
    marks.make('a-go');
    await waitState(d, a!.id, 'succeeded');
    await waitState(d, b!.id, 'pending');
    await d.kill9();

    const again = await d.restart();
    processes.push(again);
    const states = await Promise.all([a, b, c, d2job].map(async (j) => (await again.api('GET', `/jobs/${j!.id}`)).state));
    assert.deepEqual(states, ['succeeded', 'pending', 'waiting', 'waiting']);
    assert.equal((await again.api('GET', '/broker')).waiting, 2);
    await again.api('PUT', '/broker/concurrency/1');
    await waitState(again, d2job!.id, 'succeeded');
    assert.equal(readFileSync(out, 'utf8'), 'A\nB\nC\nD\n');
    for (const j of [a, b, c, d2job]) assert.equal((await again.api('GET', `/jobs/${j!.id}`)).attempt, 1);
  });
});
