// GET /tasks/:name/log: the captured output of a task's workers, ?tail=N, ?follow=1 streams;
// a task with capture_output false has no log.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { waitFor } from '../../helpers/wait.js';

let d: InProcessDaemon | undefined;
after(() => d?.cleanup());

test('worker output is captured; tail and follow work', async () => {
  const T = uniq('Talker');
  const Q = uniq('Quiet');
  const script = 'i=0; while :; do i=$((i+1)); echo "line $i"; echo "err $i" >&2; sleep 0.1; done';
  d = await startInProcess({
    config: { tasks: { [T]: { cmd: 'sh', args: ['-c', script], stall_timeout: 0 }, [Q]: { cmd: 'sleep', args: ['1000'], stall_timeout: 0, capture_output: false } } },
  });
  const dm = d;
  await waitFor('five lines', async () => /line 5\n/.test((await dm.request('GET', `/tasks/${T}/log`)).text));
  const all = (await dm.request('GET', `/tasks/${T}/log`)).text;
  assert.match(all, /^line 1\nerr 1\nline 2\nerr 2\n/, 'stdout and stderr both captured, in order');
  const tail = (await dm.request('GET', `/tasks/${T}/log?tail=2`)).text;
  assert.match(tail, /^(line|err) \d+\n(line|err) \d+\n$/, 'the last two lines');

  // follow: new lines arrive on the open response
  const ctl = new AbortController();
  const res = await fetch(`${dm.url}/tasks/${T}/log?follow=1&tail=0`, { signal: ctl.signal });
  const reader = res.body!.getReader();
  let got = '';
  // The last line written once the follow is open: the three after it must come, in order.
  const first = Math.max(...[...(await dm.request('GET', `/tasks/${T}/log`)).text.matchAll(/line (\d+)/g)].map((m) => Number(m[1])));
  const want = `line ${first + 1}\nerr ${first + 1}\nline ${first + 2}\nerr ${first + 2}\nline ${first + 3}\n`;
  await waitFor('followed lines', async () => {
    const { value } = await reader.read();
    got += new TextDecoder().decode(value);
    return got.includes(want);
  });
  ctl.abort();
  assert.equal((await dm.request('GET', `/tasks/${Q}/log`)).status, 404, 'a task without capture says so');
});
