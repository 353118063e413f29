// Following a big log costs the daemon chunks, not the log: a job writes 200 MB, three clients
// follow its log from the start at once (and one reads it whole), and the daemon process's
// peak resident memory (VmHWM in /proc) grows by far less than the log. A resource bound
// measured on the real daemon process, not a time bound.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { submit, waitState } from '../../helpers/jobs.js';

const daemons: TestDaemon[] = [];
after(async () => {
  for (const d of daemons) {
    await d.stop();
    d.cleanup();
  }
});

/** A field of /proc/PID/status in bytes (VmRSS, VmHWM). */
function statusBytes(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `${field} of ${pid}`);
  return Number(m[1]) * 1024;
}

/** The bytes of a GET's answer, counted as they come (nothing kept). */
function countBytes(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

test('three follows of a 200 MB job log: the daemon grows by far less than the log', async (t) => {
  const SIZE = 65 * 3_076_924; // 200 MB of whole 65-byte lines
  const d = await startDaemon({ config: { broker: { concurrency: 1 } } });
  daemons.push(d);
  const [job] = await submit(d, { command: `yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef | head -c ${SIZE}`, cwd: '/' });
  await waitState(d, job!.id, 'succeeded', 180_000);
  const before = statusBytes(d.pid, 'VmRSS');
  const url = `${d.url}/jobs/${job!.id}/log`;
  const got = await Promise.all([countBytes(`${url}?follow=1`), countBytes(`${url}?follow=1`), countBytes(`${url}?follow=1`), countBytes(url)]);
  assert.deepEqual(got, [SIZE, SIZE, SIZE, SIZE], 'every client got the whole log');
  const peak = statusBytes(d.pid, 'VmHWM');
  t.diagnostic(`daemon RSS before ${(before / 1048576).toFixed(1)} MiB, peak after ${(peak / 1048576).toFixed(1)} MiB`);
  assert.ok(peak - before < SIZE / 2, `the daemon's peak RSS grew by ${((peak - before) / 1048576).toFixed(1)} MiB for a ${SIZE / 1e6} MB log read 4 times`);
  assert.equal((await d.request('GET', `/jobs/${job!.id}/log?tail=2`)).text, '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n'.repeat(2));
});
