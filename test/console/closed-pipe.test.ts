// `bl-console --status | head -1`: the reader goes away before the console has written all it
// has. The console then stops writing and exits 0, with nothing on stderr (no EPIPE stack
// trace). A real console process whose stdout is a pipe closed at its reading end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { programArgv } from '../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { waitForWorkers } from '../helpers/tasks.js';

let d: InProcessDaemon;
const confDir = mkdtempSync(path.join(tmpdir(), 'bl-closed-pipe-'));
before(async () => {
  d = await startInProcess({ config: { tasks: { Task: { cmd: '/bin/sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } } } });
  await waitForWorkers(d, 'Task', 1);
});
after(async () => {
  await d.cleanup();
  rmSync(confDir, { recursive: true, force: true });
});

for (const args of [['--status'], ['-c', 'status; ls; jobs']]) {
  test(`${args.join(' ')} into a closed pipe: exit 0, no stack trace`, async () => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', BL_CONSOLE_CONFIG_DIR: confDir };
    delete env.BL_TOKEN;
    const p = spawn(process.execPath, [...programArgv('console/main'), `-host=${d.url}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    // The reading end closes at once: the console's first write (after its request to the
    // daemon) finds no reader, as `| head -1`'s second line does.
    p.stdout.destroy();
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => p.on('close', (c, s) => r([c, s])));
    assert.equal(err, '', 'nothing on stderr');
    assert.deepEqual([code, signal], [0, null]);
  });
}
