// `shutdown --keep-jobs`: the daemon stops and its running job runs on under its keeper, which
// writes the job's end; anything else after `shutdown` is a usage error that sends nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInProcess } from '../helpers/in-process.js';
import { Marks, submit } from '../helpers/jobs.js';
import { pidsWithEnv } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { parseEnd } from '../../runner/spawn-helpers/end-file.js';
import { runConsole } from './run-console.js';

const confDir = mkdtempSync(path.join(tmpdir(), 'bl-keep-jobs-conf-'));
after(() => rmSync(confDir, { recursive: true, force: true }));

test('shutdown --keep-jobs stops the daemon and leaves its running job to its keeper', async () => {
  const d = await startInProcess({ config: { broker: { concurrency: 1 } } });
  try {
    const marks = new Marks(path.join(d.dir, 'marks'));
    const [job] = await submit(d, { command: `${marks.made('runs')}; ${marks.awaited('go')}; exit 4`, cwd: '/' });
    await marks.waitMade('runs');
    const bad = await runConsole([`-host=${d.url}`, '-c', 'shutdown --keep'], { confDir });
    assert.equal(bad.code, 2, bad.err);
    assert.match(bad.err, /expected --keep-jobs or nothing/);
    const r = await runConsole([`-host=${d.url}`, '-c', 'shutdown --keep-jobs'], { confDir });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Shutting down; running jobs keep running\n');
    await d.daemon.finished;
    assert.ok(d.log.some((l) => /shutting down \(POST \/shutdown\?keep_jobs=1\): stopping workers; running jobs keep running/.test(l)), d.log.join('\n'));
    assert.ok(pidsWithEnv('BL_JOB_ID', job!.id).length > 0, 'the job runs on');
    marks.make('go');
    const end = path.join(d.dir, 'state', 'jobs', 'ends', `${job!.id}.1.end`);
    await waitFor('its keeper to write its end', () => existsSync(end));
    assert.equal(parseEnd(readFileSync(end, 'utf8'))?.code, 4);
  } finally {
    await d.cleanup();
  }
});
