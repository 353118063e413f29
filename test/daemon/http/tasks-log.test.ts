// GET /tasks/log: every task's output interleaved in the order it came, each line under
// `TASK PID | ` (as `pm2 logs`); ?tail=N (100 by default), ?follow=1; across a rotation of
// the file at 16 MiB. A line without its newline (a prompt) shows after a short idle.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

const daemons: InProcessDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.cleanup();
});

const counter = (label: string) => `i=0; while :; do i=$((i+1)); echo "${label} $i"; sleep 0.02; done`;

/**
 * Opens a streamed response (its headers come at once) and reads it until `done(its last
 * 4 KiB)`; then lets it go. Resolves to the text read.
 */
async function follow(url: string, done: (end: string) => boolean): Promise<{ result: Promise<string> }> {
  const ctl = new AbortController();
  const res = await fetch(url, { signal: ctl.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const result = (async () => {
    // Only the end is looked at: the whole text of a big follow looked at every read is quadratic.
    let end = '';
    const parts: string[] = [];
    while (!done(end)) {
      const { value, done: over } = await reader.read();
      if (over) break;
      const text = decoder.decode(value, { stream: true });
      parts.push(text);
      end = (end + text).slice(-4096);
    }
    ctl.abort();
    return parts.join('');
  })();
  return { result };
}

test('two tasks: their lines interleaved as they came, each under its task and pid; tail; follow; a prompt', async () => {
  const A = uniq('Alpha');
  const B = uniq('Beta');
  const C = uniq('Gamma');
  const P = uniq('Prompt');
  const d = await startInProcess({
    config: {
      tasks: {
        [A]: { cmd: 'sh', args: ['-c', counter('a')], stall_timeout: 0 },
        [B]: { cmd: 'sh', args: ['-c', counter('b')], stall_timeout: 0 },
        [C]: { cmd: 'sh', args: ['-c', 'echo "hello from gamma"; exec sleep 1000'], stall_timeout: 0, autostart: false },
        [P]: { cmd: 'sh', args: ['-c', 'printf "Password: "; exec sleep 1000'], stall_timeout: 0, autostart: false },
      },
    },
  });
  daemons.push(d);
  const [pa] = await waitForWorkers(d, A, 1);
  const [pb] = await waitForWorkers(d, B, 1);
  const ours = (text: string) => text.split('\n').filter((l) => l.startsWith(`${A} `) || l.startsWith(`${B} `));
  await waitFor('60 lines of each', async () => {
    const lines = ours((await d.request('GET', '/tasks/log?tail=100000')).text);
    return lines.filter((l) => l.startsWith(A)).length >= 60 && lines.filter((l) => l.startsWith(B)).length >= 60;
  });
  await d.request('POST', `/tasks/${A}/stop`);
  await d.request('POST', `/tasks/${B}/stop`);

  const all = (await d.request('GET', '/tasks/log?tail=100000')).text;
  const lines = ours(all);
  for (const l of lines) assert.match(l, new RegExp(`^(${A} ${pa} \\| a \\d+|${B} ${pb} \\| b \\d+)$`));
  const seq = (t: string, label: string) => lines.filter((l) => l.startsWith(`${t} `)).map((l) => Number(l.slice(l.indexOf(`| ${label} `) + 4)));
  const as = seq(A, 'a');
  const bs = seq(B, 'b');
  assert.deepEqual(as, Array.from({ length: as.length }, (_, i) => i + 1), "every line of A, in A's order");
  assert.deepEqual(bs, Array.from({ length: bs.length }, (_, i) => i + 1));
  const firstB = lines.findIndex((l) => l.startsWith(B));
  const lastA = lines.findLastIndex((l) => l.startsWith(A));
  assert.ok(firstB < lastA, 'interleaved as they came, not one task after the other');
  // Each task's own log: the same lines, raw.
  const ownA = (await d.request('GET', `/tasks/${A}/log`)).text;
  assert.equal(ownA, as.map((n) => `a ${n}\n`).join(''));

  // tail: the last N lines of the file; 100 when not asked.
  const full = all.split('\n').slice(0, -1);
  assert.equal((await d.request('GET', '/tasks/log?tail=3')).text, full.slice(-3).join('\n') + '\n');
  assert.ok(full.length > 100);
  assert.equal((await d.request('GET', '/tasks/log')).text, full.slice(-100).join('\n') + '\n', '100 lines by default');
  assert.equal((await d.request('GET', '/tasks/log?tail=x')).status, 400);

  // follow: a line written after the follow opened comes on it, under its task and pid.
  const f = await follow(`${d.url}/tasks/log?follow=1&tail=0`, (t) => t.includes('hello from gamma'));
  await d.request('POST', `/tasks/${C}/start`);
  const [pc] = await waitForWorkers(d, C, 1);
  assert.equal(await f.result, `${C} ${pc} | hello from gamma\n`);

  // A prompt with no newline: written as a line once its worker says nothing more.
  await d.request('POST', `/tasks/${P}/start`);
  const [pp] = await waitForWorkers(d, P, 1);
  await waitFor('the prompt', async () => (await d.request('GET', '/tasks/log?tail=1')).text === `${P} ${pp} | Password: \n`);
  assert.equal((await d.request('GET', `/tasks/${P}/log`)).text, 'Password: ', 'its own log: the bytes as they came');
});

test('a log past 16 MiB moves to .1: a follow reads every line across the move, a tail reaches into .1', async () => {
  const R = uniq('Rotor');
  const line = '0'.repeat(999);
  // 17000 lines of 1000 bytes: past 16 MiB once, in the task's log and in tasks.log.
  const script = `yes ${line} | head -n 17000; echo after-rotation; exec sleep 1000`;
  const d = await startInProcess({ config: { tasks: { [R]: { cmd: 'sh', args: ['-c', script], stall_timeout: 0, autostart: false } } } });
  daemons.push(d);
  const f = await follow(`${d.url}/tasks/log?follow=1&tail=0`, (t) => t.includes('| after-rotation\n'));
  await d.request('POST', `/tasks/${R}/start`);
  const [pid] = await waitForWorkers(d, R, 1);
  const got = (await f.result).split('\n').slice(0, -1);
  // A line whose writer was held up half-way (a loaded machine) shows in two parts here, each
  // under the prefix: what they say together is every line, once.
  const head = `${R} ${pid} | `;
  assert.ok(got.every((l) => l.startsWith(head)));
  assert.equal(got.map((l) => l.slice(head.length)).join(''), line.repeat(17000) + 'after-rotation', 'every line once');
  assert.equal(got.at(-1), `${head}after-rotation`);

  const logs = path.join(d.config.stateDir, 'logs');
  for (const f of [path.join(logs, 'tasks.log'), path.join(logs, 'tasks', `${R}.log`)]) {
    assert.ok(existsSync(f + '.1'), `${f} was rotated`);
    assert.ok(statSync(f + '.1').size >= 16 * 1024 * 1024);
    assert.ok(statSync(f).size < 16 * 1024 * 1024);
  }
  // The new tasks.log holds a few hundred lines: a tail of 2000 takes the rest from the old one.
  const tail = (await d.request('GET', '/tasks/log?tail=2000')).text.split('\n').slice(0, -1);
  assert.deepEqual(tail, got.slice(-2000));
  // The task's own log has the bytes as they came, whole lines however they were read.
  assert.equal((await d.request('GET', `/tasks/${R}/log?tail=2`)).text, `${line}\nafter-rotation\n`);
  const own = path.join(logs, 'tasks', `${R}.log`);
  assert.equal(statSync(own + '.1').size + statSync(own).size, 17000 * 1000 + 'after-rotation\n'.length);
});
