// The keep-alive listener over real ZeroMQ sockets: one message whose handling throws is lost
// alone, the next ones are read; a socket closed by another hand is reported, and GET /healthz
// of a daemon whose listener is dead answers 503 `failing` naming the problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeepaliveListener } from '../../../daemon/keepalive/listener.js';
import type { Keepalive } from '../../../daemon/keepalive/parse.js';
import { KeepaliveSender } from '../../helpers/zmq.js';
import { startInProcess } from '../../helpers/in-process.js';
import { waitFor } from '../../helpers/wait.js';

test('a message whose handler throws is dropped alone; the loop reads on', async () => {
  const got: Keepalive[] = [];
  const drops: string[] = [];
  const listener = new KeepaliveListener({
    maxMessageSize: 1024 * 1024,
    onMessage: (k) => {
      if (k.task === 'poison') throw new Error('the handler broke on this one');
      got.push(k);
    },
    onDrop: (r) => drops.push(r),
    onError: (m) => assert.fail(`no read should fail: ${m}`),
  });
  const sender = new KeepaliveSender(await listener.bind('127.0.0.1', 0));
  try {
    await waitFor('a first keep-alive through', async () => {
      await sender.send(['w', JSON.stringify({ pid: 2, taskname: 'w' })]);
      return got.length > 0;
    }, { interval: 50 });
    await sender.send(['poison', JSON.stringify({ pid: 2, taskname: 'poison' })]);
    await sender.send(['w', JSON.stringify({ pid: 3, taskname: 'w' })]);
    await waitFor('the keep-alive after the poisoned one', () => got.some((k) => k.pid === 3));
    assert.deepEqual(drops, ['the keep-alive could not be handled: the handler broke on this one']);
    assert.equal(listener.problem, undefined);
  } finally {
    sender.close();
    await listener.close();
  }
  assert.equal(listener.problem, undefined, 'its own close is no problem');
});

test('a daemon whose keep-alive socket was closed under it fails /healthz, naming why', async () => {
  const d = await startInProcess();
  try {
    const ok = await d.request('GET', '/healthz');
    assert.equal(ok.status, 200);
    d.services.keepaliveListener.sock.close();
    const failing = await waitFor('healthz to fail', async () => {
      const r = await d.request('GET', '/healthz', undefined, { Accept: 'application/json' });
      return r.status === 503 ? r : undefined;
    });
    const h = JSON.parse(failing.text);
    assert.equal(h.status, 'failing');
    assert.match(h.problems[0], /the keep-alive socket was closed.*keep-alives are not read/);
    assert.deepEqual(h.error, { code: 'unavailable', message: h.problems[0] });
    const text = await d.request('GET', '/healthz');
    assert.equal(text.status, 503);
    assert.match(text.text, /^failing\nProblem: the keep-alive socket was closed/);
  } finally {
    await d.cleanup();
  }
});
