// The channels the workers' output comes through: each pair carries what its child end is
// given to its own reader, and a connection that is not ours (no token of ours) is dropped
// without putting the pairs out of step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { SocketPairs } from '../../../daemon/supervisor/socket-pairs.js';
import { waitFor } from '../../helpers/wait.js';

function collect(r: Readable): { text: string } {
  const got = { text: '' };
  r.on('data', (d: Buffer) => (got.text += d.toString()));
  r.resume();
  return got;
}

test('pairs made ahead carry each child end to its own reader; strangers are dropped', async () => {
  const pairs = new SocketPairs();
  assert.equal(pairs.take(), undefined, 'none ready before the first ask');
  // A stranger that found the listening socket (it is listed in /proc/net/unix) and sends junk.
  await pairs.whenReady(1);
  const stranger = net.connect((pairs as unknown as { address: string }).address);
  stranger.on('error', () => {});
  stranger.write(Buffer.alloc(16, 7));
  await pairs.whenReady(6);
  const taken = Array.from({ length: 6 }, () => pairs.take()!);
  assert.ok(taken.every(Boolean));
  const got = taken.map((p) => collect(p.reader));
  taken.forEach((p, i) => p.child.end(`pair ${i}\n`));
  await waitFor('every pair to carry its line', () => got.every((g, i) => g.text === `pair ${i}\n`));
  await waitFor('the stranger to be dropped', () => stranger.destroyed || stranger.readableEnded);
  for (const p of taken) p.reader.destroy();
  stranger.destroy();
});
