// The tally of pending jobs' timeouts that lets a claim with a max-timeout skip a futile query.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PendingTimeouts } from '../../../../daemon/broker/store/pending-timeouts.js';

describe('PendingTimeouts', () => {
  it('says whether a job of the given queues fits: no timeout fits any limit, a timeout equal to it fits', () => {
    const p = new PendingTimeouts();
    assert.equal(p.anyFits(['urgent', 'normal'], 1e9), false, 'nothing pending');
    p.add('normal', 3600, 2);
    assert.equal(p.anyFits(['urgent', 'normal'], 600), false);
    assert.equal(p.anyFits(['normal'], 3600), true);
    p.add('urgent', 60);
    assert.equal(p.anyFits(['urgent'], 59.5), false);
    assert.equal(p.anyFits(['urgent', 'normal'], 60), true);
    assert.equal(p.anyFits(['normal'], 60), false, 'only the queues asked about');
    p.add('normal', null);
    assert.equal(p.anyFits(['normal'], 0), true, 'a job of unknown length fits while a launcher leases at all');
  });

  it('forgets a timeout when its last job leaves the queue', () => {
    const p = new PendingTimeouts();
    p.add('normal', 10);
    p.add('normal', 10);
    p.remove('normal', 10);
    assert.equal(p.anyFits(['normal'], 10), true, 'one of the two is still pending');
    p.remove('normal', 10);
    assert.equal(p.anyFits(['normal'], 10), false);
    p.remove('normal', 10);
    assert.equal(p.anyFits(['normal'], 1e9), false, 'a stray removal leaves no negative count behind');
  });
});
