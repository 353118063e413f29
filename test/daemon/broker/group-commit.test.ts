// BL_SYNC_FULL=1 (every commit synced to disk): submits that arrive together share one
// transaction, so one fsync serves them all. Each is still judged alone, and every one that
// was acknowledged survives a kill -9 of the daemon.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';

const daemons: TestDaemon[] = [];
after(async () => {
  for (const d of daemons) {
    await d.stop().catch(() => undefined);
    d.cleanup();
  }
});

test('submits that arrive together: each answered alone, a refused one alone, every acknowledged one durable', async () => {
  const d = await startDaemon({ env: { BL_SYNC_FULL: '1' }, config: { broker: { concurrency: 0 } } });
  daemons.push(d);
  const bodies = Array.from({ length: 60 }, (_, i) => (i === 17 ? { command: 'true', cwd: '/', after: ['NO-SUCH-JOB'] } : { command: `echo ${i}`, cwd: '/', key: `k${i}` }));
  const replies = await Promise.all(bodies.map((b) => d.request('POST', '/jobs', b, { Accept: 'application/json' })));
  assert.deepEqual(replies.map((r) => r.status), bodies.map((_, i) => (i === 17 ? 400 : 201)));
  assert.match(replies[17]!.text, /no job, key or sweep named NO-SUCH-JOB/);
  const ids = replies.filter((_, i) => i !== 17).map((r) => JSON.parse(r.text).id as string);
  assert.equal(new Set(ids).size, 59);
  // The same keys again, together: the earlier jobs, nothing new.
  const again = await Promise.all(bodies.filter((_, i) => i !== 17).map((b) => d.api('POST', '/jobs', b)));
  assert.deepEqual(again.map((j: { id: string }) => j.id), ids);
  await d.kill9();
  const d2 = await d.restart();
  daemons.push(d2);
  const pending = await d2.api('GET', '/jobs?state=pending&limit=100');
  assert.deepEqual(pending.jobs.map((j: { id: string }) => j.id).sort(), [...ids].sort(), 'every acknowledged job is there after kill -9');
});
