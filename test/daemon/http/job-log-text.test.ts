// How a job's detail says its log is copied (log_max_bytes, log_keep, log_timestamps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logOutputText } from '../../../daemon/http/job-json.js';

test('a copied log in a job detail: its rotation and whether lines carry their time', () => {
  assert.equal(logOutputText({ maxBytes: 1048576, keep: 3, timestamps: false }), 'rotated at 1048576 bytes, 3 kept');
  assert.equal(logOutputText({ maxBytes: 4096, keep: 0, timestamps: true }), 'rotated at 4096 bytes, 0 kept, lines timestamped');
  assert.equal(logOutputText({ maxBytes: null, keep: 3, timestamps: true }), 'not rotated, lines timestamped');
});
