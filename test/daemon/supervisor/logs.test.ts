// GET /tasks/:name/log: the captured output of a task's workers, ?tail=N, ?follow=1 streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../../helpers/daemon.js';
import { uniq } from '../../helpers/uniq.js';
import { waitFor } from '../../helpers/wait.js';

test('worker output is captured; tail and follow work', async () => {
  const T = uniq('Talker');
  const Q = uniq('Quiet');
  const script = 'i=0; while :; do i=$((i+1)); echo "line $i"; echo "err $i" >&2; sleep 0.1; done';
  const d = await startDaemon({
    config: { tasks: { [T]: { cmd: 'sh', args: ['-c', script], stall_timeout: 0 }, [Q]: { cmd: 'sleep', args: ['1000'], stall_timeout: 0, capture_output: false } } },
  });
  try {
    await waitFor('five lines', async () => /line 5\n/.test((await d.request('GET', `/tasks/${T}/log`)).text));
    const all = (await d.request('GET', `/tasks/${T}/log`)).text;
    assert.match(all, /^line 1\nerr 1\n/, 'stdout and stderr both captured, in order');
    const tail = (await d.request('GET', `/tasks/${T}/log?tail=2`)).text;
    assert.equal(tail.split('\n').length, 3, JSON.stringify(tail));

    // follow: new lines arrive on the open response
    const ctl = new AbortController();
    const res = await fetch(`${d.url}/tasks/${T}/log?follow=1&tail=0`, { signal: ctl.signal });
    const reader = res.body!.getReader();
    let got = '';
    const first = Number(/line (\d+)\n[^]*$/.exec((await d.request('GET', `/tasks/${T}/log?tail=1`)).text)?.[1] ?? 0);
    await waitFor('followed lines', async () => {
      const { value } = await reader.read();
      got += new TextDecoder().decode(value);
      const nums = [...got.matchAll(/line (\d+)/g)].map((m) => Number(m[1]));
      return nums.some((n) => n > first + 2);
    });
    ctl.abort();
    assert.equal((await d.request('GET', `/tasks/${Q}/log`)).status, 404, 'a task without capture says so');
  } finally {
    await d.stop();
    d.cleanup();
  }
});
