// The channels the workers' output comes through: pipes made ahead (mkfifo, opened and
// unlinked), each carrying what its worker writes to its own reader, /dev/stdout and
// /dev/stderr opened by name included; socket pairs where mkfifo cannot run, a stranger's
// connection to their socket dropped without putting them out of step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { OutputChannels, type OutputChannel } from '../../../daemon/supervisor/output-channels.js';
import { SocketPairs } from '../../../daemon/supervisor/socket-pairs.js';
import { waitFor } from '../../helpers/wait.js';

function collect(r: Readable): { text: string; ended: boolean } {
  const got = { text: '', ended: false };
  r.on('data', (d: Buffer) => (got.text += d.toString()));
  r.on('end', () => (got.ended = true));
  r.resume();
  return got;
}

/** Runs `script` with the channel as its stdout and stderr; what its reader got. */
async function through(ch: OutputChannel, script: string): Promise<string> {
  const child = spawn('sh', ['-c', script], { stdio: ['ignore', ch.childEnd, ch.childEnd] });
  ch.closeChildEnd();
  const got = collect(ch.reader());
  await waitFor('the end of its output', () => got.ended);
  await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
  return got.text;
}

test('pipes: stdout and stderr in one, in order, also when opened by name; no FIFO left behind', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-chan-'));
  try {
    const channels = new OutputChannels(dir);
    assert.equal(channels.take(), undefined, 'none ready before the first ask');
    await channels.whenReady(3);
    assert.deepEqual(readdirSync(dir), [], 'opened at both ends and unlinked');
    const text = await through(channels.take()!, 'echo one; echo two >&2; echo three > /dev/stderr; echo four > /proc/self/fd/1; printf five');
    assert.equal(text, 'one\ntwo\nthree\nfour\nfive');
    // Several at once, each to its own reader.
    await channels.whenReady(5);
    const many = Array.from({ length: 5 }, () => channels.take()!);
    const texts = await Promise.all(many.map((ch, i) => through(ch, `echo "worker ${i}"`)));
    assert.deepEqual(texts, [0, 1, 2, 3, 4].map((i) => `worker ${i}\n`));
    // One taken and not used goes without a trace.
    channels.take()?.discard();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without mkfifo: socket pairs, said once', async () => {
  const channels = new OutputChannels(os.tmpdir(), 'bl-no-such-mkfifo');
  const said: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => said.push(a.join(' '));
  try {
    await channels.whenReady(2);
  } finally {
    console.error = error;
  }
  assert.equal(said.length, 1);
  assert.match(said[0]!, /cannot run mkfifo .*sockets/);
  const ch = channels.take()!;
  assert.ok(ch.childEnd instanceof net.Socket);
  assert.equal(await through(ch, 'echo one; echo two >&2'), 'one\ntwo\n');
});

test('socket pairs: each carries its child end to its own reader; strangers are dropped', async () => {
  const pairs = new SocketPairs();
  assert.equal(pairs.take(), undefined, 'none ready before the first ask');
  // A stranger that found the listening socket (it is listed in /proc/net/unix) and sends junk.
  await pairs.whenReady(1);
  const stranger = net.connect((pairs as unknown as { address: string }).address);
  stranger.on('error', () => {});
  stranger.write(Buffer.alloc(16, 7));
  await pairs.whenReady(6);
  const taken = Array.from({ length: 6 }, () => pairs.take()!);
  const got = taken.map((p) => collect(p.reader()));
  taken.forEach((p, i) => (p.childEnd as net.Socket).end(`pair ${i}\n`));
  await waitFor('every pair to carry its line', () => got.every((g, i) => g.text === `pair ${i}\n`));
  await waitFor('the stranger to be dropped', () => stranger.destroyed || stranger.readableEnded);
  for (const p of taken) p.discard();
  stranger.destroy();
});
