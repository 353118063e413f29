import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeepalive } from '../../../daemon/keepalive/parse.js';

const cases: [string, string[], { task: string; pid: number } | RegExp][] = [
  ['seed Go keys', ['T', '{"Pid": 123, "TaskName": "T"}'], { task: 'T', pid: 123 }],
  ['lower-case keys', ['T', '{"pid": 123, "taskname": "T"}'], { task: 'T', pid: 123 }],
  ['upper-case keys', ['T', '{"PID": 123, "TASKNAME": "T"}'], { task: 'T', pid: 123 }],
  ['task name from the topic frame', ['T', '{"pid": 77}'], { task: 'T', pid: 77 }],
  ['pid as a numeric string', ['T', '{"pid": "88", "taskname": "T"}'], { task: 'T', pid: 88 }],
  ['one frame of JSON', ['{"pid": 5, "taskname": "X"}'], { task: 'X', pid: 5 }],
  ['not JSON', ['T', 'hello'], /not JSON/],
  ['JSON array', ['T', '[1]'], /not an object/],
  ['no pid', ['T', '{"taskname": "T"}'], /pid/],
  ['negative pid', ['T', '{"pid": -3}'], /pid/],
  ['pid 1', ['T', '{"pid": 1}'], /pid/],
  ['fractional pid', ['T', '{"pid": 2.5}'], /pid/],
  ['no task at all', ['{"pid": 5}'], /task name/],
  ['too many frames', ['a', 'b', 'c', 'd'], /frames/],
];

for (const [name, frames, want] of cases) {
  test(`keep-alive: ${name}`, () => {
    const r = parseKeepalive(frames.map((f) => Buffer.from(f)));
    if (want instanceof RegExp) {
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, want);
    } else {
      assert.equal(r.ok, true);
      assert.equal((r as any).value.task, want.task);
      assert.equal((r as any).value.pid, want.pid);
    }
  });
}

test('keep-alive: status and info are kept, info is capped', () => {
  const r = parseKeepalive(['T', JSON.stringify({ pid: 9, status: 'STOPPING', info: 'x'.repeat(500) })]);
  assert.ok(r.ok);
  assert.equal(r.value.status, 'stopping');
  assert.equal(r.value.info!.length, 200);
});
