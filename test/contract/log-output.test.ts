// A job's copied log as its JSON carries it (a leased job's, in bl-launcher) and as its detail
// says it (the daemon's text, the console's `job`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logOutputOf, logOutputText } from '../../contract/run.js';

test('a copied log in a job detail: its rotation and whether lines carry their time', () => {
  assert.equal(logOutputText({ maxBytes: 1048576, keep: 3, timestamps: false }), 'rotated at 1048576 bytes, 3 kept');
  assert.equal(logOutputText({ maxBytes: 4096, keep: 0, timestamps: true }), 'rotated at 4096 bytes, 0 kept, lines timestamped');
  assert.equal(logOutputText({ maxBytes: null, keep: 3, timestamps: true }), 'not rotated, lines timestamped');
});

test('a job JSON\'s log fields: copied when rotated or stamped; a JSON without them (an older daemon) is not', () => {
  assert.deepEqual(logOutputOf({ log_max_bytes: 2048, log_keep: 5, log_timestamps: false }), { maxBytes: 2048, keep: 5, timestamps: false });
  assert.deepEqual(logOutputOf({ log_max_bytes: null, log_keep: null, log_timestamps: true }), { maxBytes: null, keep: 3, timestamps: true });
  assert.equal(logOutputOf({ log_max_bytes: null, log_keep: null, log_timestamps: false }), null);
  assert.equal(logOutputOf({} as never), null);
});
