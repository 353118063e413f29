// A timer for a time of day: past times fire at once (asynchronously), far ones in steps
// under setTimeout's limit, a cancel stops it. Node's mock timers move the clock.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { wakeAt } from '../../launcher/wake-at.js';

describe('wakeAt', () => {
  it('fires at the time, also weeks away (past setTimeout’s longest delay), and not before', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    try {
      const fired: number[] = [];
      const at = 1_000_000 + 40 * 86_400_000;
      wakeAt(at, () => fired.push(Date.now()));
      mock.timers.tick(0);
      mock.timers.tick(2 ** 31 - 1);
      assert.deepEqual(fired, [], 'setTimeout alone would have fired at once or after 24.8 days');
      mock.timers.tick(at - Date.now() - 1);
      assert.deepEqual(fired, []);
      mock.timers.tick(1);
      assert.deepEqual(fired, [at]);
    } finally {
      mock.timers.reset();
    }
  });

  it('a past time fires on the next turn, not in the call; a cancel stops it', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 5000 });
    try {
      let n = 0;
      wakeAt(1000, () => n++);
      assert.equal(n, 0, 'not during the call');
      mock.timers.tick(0);
      assert.equal(n, 1);
      const cancel = wakeAt(9000, () => n++);
      mock.timers.tick(3000);
      cancel();
      mock.timers.tick(10_000);
      assert.equal(n, 1);
      wakeAt(Infinity, () => n++);
      wakeAt(NaN, () => n++);
      mock.timers.tick(2 ** 31);
      assert.equal(n, 1, 'no time, no call (and no timer spinning)');
    } finally {
      mock.timers.reset();
    }
  });
});
