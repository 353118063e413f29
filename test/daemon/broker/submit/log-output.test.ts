// A submit's log_max_bytes, log_keep, log_timestamps over the broker's defaults: whether a
// job's output is copied by its spawn helper, and how; bad values say which field and what came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJob, parseLogOutput, type SubmitDefaults } from '../../../../daemon/broker/submit/submit-parse.js';

const d: SubmitDefaults = { cwd: '/', timeout: 0, idleCpu: undefined, retries: 0 };
const withDefaults = (log: SubmitDefaults['log']): SubmitDefaults => ({ ...d, log });
const parse = (o: Record<string, unknown>, defaults = d) => parseLogOutput('job', o, defaults, false);

test('off unless rotation or timestamps is asked for: the job then writes its log itself', () => {
  assert.equal(parse({}), null);
  assert.equal(parse({ log_keep: 5 }), null, 'a keep alone rotates nothing');
  assert.equal(parse({ log_timestamps: false }), null);
  assert.equal(parseJob({ command: 'true' }, 'job', d).logOutput, undefined);
});

test('the fields, each over its default', () => {
  assert.deepEqual(parse({ log_max_bytes: 1024 }), { maxBytes: 1024, keep: 3, timestamps: false });
  assert.deepEqual(parse({ log_max_bytes: 4096, log_keep: 0 }), { maxBytes: 4096, keep: 0, timestamps: false });
  assert.deepEqual(parse({ log_timestamps: true }), { maxBytes: null, keep: 3, timestamps: true });
  const b = withDefaults({ maxBytes: 1 << 20, keep: 5, timestamps: true });
  assert.deepEqual(parse({}, b), { maxBytes: 1 << 20, keep: 5, timestamps: true });
  assert.deepEqual(parse({ log_max_bytes: null }, b), { maxBytes: null, keep: 5, timestamps: true }, 'null: not rotated');
  assert.equal(parse({ log_max_bytes: null, log_timestamps: false }, b), null, 'both off: not copied');
  assert.deepEqual(parse({ log_keep: 100 }, b), { maxBytes: 1 << 20, keep: 100, timestamps: true });
  assert.deepEqual(parseJob({ command: 'true', log_max_bytes: 2048 }, 'job', d).logOutput, { maxBytes: 2048, keep: 3, timestamps: false });
});

test('bad values name the field and what came; an http job takes none of them, nor the defaults', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ log_max_bytes: 1023 }, /^job: expected `log_max_bytes` to be an integer number of bytes ≥ 1024 \(or null: not rotated\), found 1023$/],
    [{ log_max_bytes: 2048.5 }, /`log_max_bytes`.*found 2048\.5$/],
    [{ log_max_bytes: '1M' }, /`log_max_bytes`.*found "1M"$/],
    [{ log_keep: -1 }, /^job: expected `log_keep` to be an integer from 0 to 100, found -1$/],
    [{ log_keep: 101 }, /found 101$/],
    [{ log_keep: null }, /`log_keep`.*found null$/],
    [{ log_timestamps: 'yes' }, /^job: expected `log_timestamps` to be true or false, found "yes"$/],
  ];
  for (const [o, re] of bad) assert.throws(() => parse(o), { message: re }, JSON.stringify(o));
  assert.throws(() => parseLogOutput('job 3', { log_timestamps: true }, d, true), { message: /^job 3: `log_max_bytes`, `log_keep` and `log_timestamps` apply to a command's output, and this job is an http request$/ });
  assert.equal(parseLogOutput('job', {}, withDefaults({ maxBytes: 4096, keep: 3, timestamps: true }), true), null);
});
