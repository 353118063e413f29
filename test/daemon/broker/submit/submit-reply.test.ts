// The text and status of a submit's answer: a line a job, a sweep's skipped combinations only
// when there were some, and a 200 saying so when a sweep made nothing new.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { submitReply } from '../../../../daemon/broker/submit/submit-reply.js';
import type { JobRecord } from '../../../../daemon/broker/types.js';

const job = (id: string, key: string | null = null) => ({ id, key }) as JobRecord;

test('a job a line; an idempotency key names the earlier job', () => {
  assert.deepEqual(submitReply({ jobs: [job('A'), job('B', 'k')], reused: [false, true], skipped: 0 }, false), {
    text: 'Submitted job A\nJob B already submitted (key k)',
    status: 201,
  });
});

test('a sweep says what it skipped only when it skipped some', () => {
  assert.equal(submitReply({ jobs: [job('A')], reused: [false], skipped: 0 }, true).text, 'Submitted job A');
  assert.equal(submitReply({ jobs: [job('A')], reused: [false], skipped: 2 }, true).text, 'Submitted job A\nSkipped 2 already done');
});

test('a sweep that made nothing new answers 200 and says so', () => {
  assert.deepEqual(submitReply({ jobs: [], reused: [], skipped: 1 }, true), {
    text: 'Nothing new submitted: its 1 combination has already succeeded (send "force": true to run it again)',
    status: 200,
  });
  assert.equal(submitReply({ jobs: [], reused: [], skipped: 9 }, true).text, 'Nothing new submitted: all 9 of its combinations have already succeeded (send "force": true to run them again)');
});
