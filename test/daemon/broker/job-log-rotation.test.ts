// A job's captured output copied by its spawn helper (log_max_bytes, log_keep, log_timestamps),
// against real daemon processes: a job writing 51 MB through a log rotated at 1 MiB, 3 kept,
// runs to its end with never more than keep+1 files, and a follower reads it across the
// rotations in order, saying where files went before it could read them; a job followed as it
// writes reads every line once, in order, each stamped; the keeper goes on rotating through a
// kill -9 of the daemon, and the next one serves the log whole.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { descendants, pidsWithEnv } from '../../helpers/proc.js';
import { Marks, submit, waitState } from '../../helpers/jobs.js';
import { waitFor } from '../../helpers/wait.js';

const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;
const num = (i: number) => String(i).padStart(15, '0');

function open(url: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get(url, resolve).on('error', reject));
}

/** Every line of a streamed answer until it ends (a follow ends with its job). */
function readAll(res: http.IncomingMessage, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const l of parts) onLine(l);
    });
    res.on('error', reject);
    res.on('end', () => (rest === '' ? resolve() : reject(new Error(`the follow ended inside a line: ${JSON.stringify(rest.slice(0, 100))}`))));
  });
}

/** The log's files, oldest first. */
function logFiles(file: string): string[] {
  const out = [];
  for (let i = 100; i >= 1; i--) if (existsSync(`${file}.${i}`)) out.push(`${file}.${i}`);
  return [...out, file];
}

describe('job logs copied, rotated and stamped by their spawn helpers', () => {
  const daemons: TestDaemon[] = [];
  after(async () => {
    for (const d of daemons.reverse()) {
      await d.stop();
      for (const k of pidsWithEnv('BL_KEEPER_OF', path.join(d.dir, 'state', 'jobs', 'ends'))) {
        for (const p of [...descendants(k), k]) process.kill(p, 'SIGKILL');
      }
      d.cleanup();
    }
  });

  it('51 MB through 1 MiB files, 3 kept: the job succeeds, 4 files at most, the last lines all there; a follower reads in order and marks what went', async () => {
    const d = await startDaemon();
    daemons.push(d);
    const N = 3_200_000;
    const marks = new Marks(path.join(d.dir, 'marks'));
    // It writes once the follower holds its log (made by its helper at the spawn).
    const [j] = await submit(d, { command: `${marks.made('running')}; ${marks.awaited('go')}; seq -f %015.0f 1 ${N}`, cwd: '/', log_max_bytes: 1 << 20, log_keep: 3 });
    assert.deepEqual([j!.log_max_bytes, j!.log_keep, j!.log_timestamps], [1 << 20, 3, false]);
    await marks.waitMade('running');
    const res = await open(`${d.url}/jobs/${j!.id}/log?follow=1`);
    marks.make('go');
    let next = 1;
    let gaps = 0;
    let gapBefore = false;
    const followed = readAll(res, (l) => {
      if (l === '… lines rotated away before they could be read …') {
        gaps++;
        gapBefore = true;
        return;
      }
      const n = Number(l);
      assert.equal(l, num(n), `a whole line: ${JSON.stringify(l)}`);
      // In order, none twice; lines go missing only where a marker said so.
      assert.ok(n === next || (gapBefore && n > next), `line ${n} after ${next - 1}${gapBefore ? ' (after a marker)' : ''}`);
      gapBefore = false;
      next = n + 1;
    });
    const done = await waitState(d, j!.id, ['succeeded', 'failed'], 300_000);
    assert.equal(done.state, 'succeeded', 'the writer ran to its end');
    await followed;
    assert.equal(next, N + 1, 'the follow read up to the last line');

    const file = path.join(d.dir, 'state', 'jobs', `${j!.id}.log`);
    assert.ok(!existsSync(`${file}.4`), 'no more than keep rotated files');
    const files = logFiles(file);
    assert.equal(files.length, 4);
    const lines = files.map((f) => readFileSync(f, 'latin1')).join('').split('\n');
    assert.equal(lines.pop(), '');
    const first = Number(lines[0]);
    assert.ok(lines.every((l, i) => l === num(first + i)), 'the files, oldest first, are one run of the sequence');
    assert.equal(Number(lines.at(-1)), N);
    // A tail reads across the files.
    const tail = (await d.request('GET', `/jobs/${j!.id}/log?tail=100000`)).text.split('\n').slice(0, -1);
    assert.deepEqual([tail.length, tail[0], tail.at(-1)], [100000, num(N - 99999), num(N)]);
    console.log(`# followed with ${gaps} marker(s) of files rotated away`);
    // A purge takes the rotated files with the log.
    await d.api('POST', '/broker/purge-completed');
    await waitFor('the log and its rotated files to go', () => logFiles(file).every((f) => !existsSync(f)));
  });

  it('a job followed as it writes: every line once, in order, each stamped, across many rotations; bad values are refused', async () => {
    const d = await startDaemon({ config: { broker: { log_timestamps: true } } });
    daemons.push(d);
    // 3000 lines of 32 bytes (~41 with the stamp) through files of 4 KiB: some 30 rotations.
    const script = 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); printf "line %05d of a followed job..\\n" $i; [ $((i % 100)) -eq 0 ] && sleep 0.05; done; true';
    const marks = new Marks(path.join(d.dir, 'marks'));
    const [j] = await submit(d, { command: `${marks.made('running')}; ${marks.awaited('go')}; ${script}`, cwd: '/', log_max_bytes: 4096, log_keep: 100 });
    assert.equal(j!.log_timestamps, true, 'the broker default');
    await marks.waitMade('running');
    const res = await open(`${d.url}/jobs/${j!.id}/log?follow=1`);
    marks.make('go');
    const lines: string[] = [];
    await readAll(res, (l) => lines.push(l));
    assert.deepEqual(
      lines.map((l) => l.replace(STAMP, '')),
      Array.from({ length: 3000 }, (_, i) => `line ${String(i + 1).padStart(5, '0')} of a followed job..`),
    );
    assert.ok(lines.every((l) => STAMP.test(l)), 'each line stamped');
    const file = path.join(d.dir, 'state', 'jobs', `${j!.id}.log`);
    assert.ok(logFiles(file).length > 20, `rotated ${logFiles(file).length - 1} times`);
    assert.match((await d.request('GET', `/jobs/${j!.id}`)).text, /^Log:\trotated at 4096 bytes, 100 kept, lines timestamped$/m);

    for (const [body, re] of [
      [{ log_max_bytes: 100 }, /job: expected `log_max_bytes` to be an integer number of bytes ≥ 1024 \(or null: not rotated\), found 100/],
      [{ log_max_bytes: '1M' }, /expected `log_max_bytes` to be an integer.*found "1M"/],
      [{ log_keep: 101 }, /expected `log_keep` to be an integer from 0 to 100, found 101/],
      [{ log_keep: 1.5 }, /expected `log_keep` to be an integer from 0 to 100, found 1.5/],
      [{ log_timestamps: 'yes' }, /expected `log_timestamps` to be true or false, found "yes"/],
    ] as const) {
      const r = await d.request('POST', '/jobs', { command: 'true', cwd: '/', ...body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.text, re);
    }
    const r = await d.request('POST', '/jobs', { url: 'http://127.0.0.1:1/', log_max_bytes: 4096 });
    assert.equal(r.status, 400);
    assert.match(r.text, /apply to a command's output, and this job is an http request/);
  });

  for (const spawner of ['python', 'node']) it(`the keeper (${spawner} helper) rotates on through a kill -9 of the daemon; the next one follows the job to its end and serves every line`, async () => {
    const d = await startDaemon({ env: { BL_SPAWNER: spawner } });
    daemons.push(d);
    const script = 'i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo "line $i"; [ $((i % 50)) -eq 0 ] && sleep 0.1; done; true';
    const [j] = await submit(d, { command: script, cwd: '/', log_max_bytes: 2048, log_keep: 100 });
    const file = path.join(d.dir, 'state', 'jobs', `${j!.id}.log`);
    await waitFor('a first rotation', () => existsSync(`${file}.1`), { timeout: 30_000 });
    await d.kill9();
    const d2 = await d.restart();
    daemons.push(d2);
    const ended = await waitState(d2, j!.id, ['succeeded', 'failed', 'lost'], 120_000);
    assert.equal(ended.state, 'succeeded');
    const lines = logFiles(file).map((f) => readFileSync(f, 'utf8')).join('').split('\n').slice(0, -1);
    assert.deepEqual(lines, Array.from({ length: 2000 }, (_, i) => `line ${i + 1}`));
    const tail = (await d2.request('GET', `/jobs/${j!.id}/log?tail=2000`)).text;
    assert.equal(tail, lines.join('\n') + '\n', 'a tail across every file');
  });
});
