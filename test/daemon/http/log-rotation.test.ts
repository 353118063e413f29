// A task's log rotated by size (log_max_bytes, log_keep) under a worker writing 50 MB: every
// line is in the files once, in order; a follow from the start reads exactly the sequence while
// the log rotates many times; a tail reaches across several rotated files; a follower whose
// client stops reading while files it never opened are rotated away says how many bytes it
// missed, once, and goes on without repeating a line; log_timestamps starts each line with
// its time. In-process daemon, real workers, real files, real HTTP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

const daemons: InProcessDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.cleanup();
});

/** Lines of 16 bytes: the number, 15 digits. */
const LINE = 16;
const num = (i: number) => String(i).padStart(15, '0');
const writer = (n: number) => `seq -f %015.0f 1 ${n}; echo done; exec sleep 1000`;

/** A streamed GET read through node's http (a paused response stops reading its socket). */
function open(url: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get(url, resolve).on('error', reject));
}

/** Reads `res` until a line `done` came; the lines, checked as they come rather than kept whole. */
function readLines(res: http.IncomingMessage, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const l of parts) {
        if (l === 'done') {
          res.destroy();
          return resolve();
        }
        onLine(l);
      }
    });
    res.on('error', reject);
    res.on('end', () => reject(new Error(`the follow ended before "done" (${rest.length} bytes unfinished)`)));
  });
}

test('50 MB through a rotating log: the files hold every line once, a follow reads the sequence, a tail reaches across files', async () => {
  const T = uniq('Rot50');
  const N = 3_200_000; // 51.2 MB
  const d = await startInProcess({
    config: { tasks: { [T]: { cmd: 'sh', args: ['-c', writer(N)], stall_timeout: 0, autostart: false, log_max_bytes: 4 << 20, log_keep: 20 } } },
  });
  daemons.push(d);
  const res = await open(`${d.url}/tasks/${T}/log?follow=1&tail=0`);
  let next = 1;
  const followed = readLines(res, (l) => {
    assert.equal(l, num(next), 'the follow reads the lines in order, none lost, none twice');
    next++;
  });
  await d.request('POST', `/tasks/${T}/start`);
  await waitForWorkers(d, T, 1);
  await followed;
  assert.equal(next, N + 1);

  const file = path.join(d.config.stateDir, 'logs', 'tasks', `${T}.log`);
  const files = [];
  for (let i = 20; i >= 1; i--) if (existsSync(`${file}.${i}`)) files.push(`${file}.${i}`);
  files.push(file);
  // A file rotates once a write has taken it to the limit: each rotated one holds the limit and
  // at most one write more (the writer writes up to 256 KiB of queued output at once).
  const CAP = 4 << 20;
  for (const f of files.slice(0, -1)) {
    const size = statSync(f).size;
    assert.ok(size >= CAP && size < CAP + (1 << 20), `${path.basename(f)}: ${size} bytes, not the limit of ${CAP} and one write`);
  }
  assert.ok(files.length - 1 >= Math.floor((N * LINE) / (CAP + (1 << 20))), `rotated ${files.length - 1} times`);
  let expect = 1;
  for (const f of files) {
    const text = readFileSync(f, 'latin1');
    for (let at = 0; at < text.length; at += LINE) {
      const line = text.slice(at, at + LINE);
      if (line.startsWith('done')) break;
      assert.equal(line, `${num(expect)}\n`, `${path.basename(f)} at ${at}`);
      expect++;
    }
  }
  assert.equal(expect, N + 1, 'across the rotated files and the current one: every line, once');

  // 300,000 lines: the current file and several rotated ones (65,536 lines a file).
  const tail = (await d.request('GET', `/tasks/${T}/log?tail=300001`)).text.split('\n').slice(0, -1);
  assert.equal(tail.length, 300001);
  assert.equal(tail.at(-1), 'done');
  assert.equal(tail[0], num(N - 299999));
  tail.pop();
  assert.ok(tail.every((l, i) => l === num(N - 299999 + i)), 'the tail is the last lines in order');
});

test('a follower whose client stops reading: files it never opened rotate away, it says how many bytes, and goes on without repeating', async () => {
  const T = uniq('Gappy');
  const N = 1_000_000; // 16 MB through files of 256 KiB, one kept
  const d = await startInProcess({
    config: { tasks: { [T]: { cmd: 'sh', args: ['-c', writer(N)], stall_timeout: 0, autostart: false, log_max_bytes: 256 << 10, log_keep: 1 } } },
  });
  daemons.push(d);
  const res = await open(`${d.url}/tasks/${T}/log?follow=1&tail=0`);
  res.pause();
  await d.request('POST', `/tasks/${T}/start`);
  await waitForWorkers(d, T, 1);
  // The writer is done while the client has read nothing.
  await waitFor('the worker to write everything', async () => (await d.request('GET', `/tasks/${T}/log?tail=1`)).text === 'done\n', { timeout: 120_000 });
  let next = 1;
  let gaps = 0;
  let missedBytes = 0;
  const read = readLines(res, (l) => {
    const gap = /^… (\d+) bytes rotated away before they could be read …$/.exec(l);
    if (gap) {
      gaps++;
      missedBytes += Number(gap[1]);
      return;
    }
    const n = Number(l);
    assert.ok(n >= next, `line ${l} after ${next - 1}: nothing repeats`);
    // Lines go missing only where a marker said so, and exactly as many bytes as it said.
    if (n > next) assert.equal((n - next) * LINE, missedBytes, `lines ${next}…${n - 1} missing: the markers said ${missedBytes} bytes`);
    missedBytes = 0;
    next = n + 1;
  });
  res.resume();
  await read;
  assert.equal(next, N + 1, 'the last line came');
  assert.ok(gaps >= 1, 'with one file kept and a client that stopped, files went before they were read');
});

test('log_timestamps starts each line of the task log with its time', async () => {
  const T = uniq('Stamped');
  const d = await startInProcess({
    config: { tasks: { [T]: { cmd: 'sh', args: ['-c', 'echo one; echo two; exec sleep 1000'], stall_timeout: 0, log_timestamps: true } } },
  });
  daemons.push(d);
  const [pid] = await waitForWorkers(d, T, 1);
  const stamp = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
  const own = await waitFor('both lines', async () => {
    const t = (await d.request('GET', `/tasks/${T}/log`)).text;
    return t.split('\n').length === 3 ? t : undefined;
  });
  assert.match(own, new RegExp(`^${stamp} one\\n${stamp} two\\n$`));
  const all = (await d.request('GET', '/tasks/log?tail=100')).text;
  assert.match(all, new RegExp(`^${T} ${pid} \\| ${stamp} two$`, 'm'));
});
