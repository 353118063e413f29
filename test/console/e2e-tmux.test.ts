// The real console in a real terminal (tmux) against a daemon, as a person would use it: ls,
// Tab completion of a task name, a cardinality change seen in the processes, a job submitted
// and listed, ↑ recalls, quit leaves; history is there on the next run. On a terminal the
// destructive one-shot flags ask first. The test waits for what the screen shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { programArgv } from '../helpers/daemon.js';
import { startInProcess } from '../helpers/in-process.js';
import { waitState } from '../helpers/jobs.js';
import { alive } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { Tmux } from './tmux.js';

test('the console in tmux against a daemon', { timeout: 90000 }, async () => {
  const d = await startInProcess({ config: { tasks: { Task: { cmd: '/bin/sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } } } });
  const confDir = mkdtempSync(path.join(tmpdir(), 'bl-console-conf-'));
  const tmux = new Tmux(`bl-test-${process.pid}`);
  const run = () => tmux.start([process.execPath, ...programArgv('console/main'), `-host=${d.url}`], { BL_CONSOLE_CONFIG_DIR: confDir, NO_COLOR: '1' });
  const screen = (what: string, re: RegExp, timeout = 10000) => waitFor(`${what}: ${re} on screen`, () => re.test(tmux.screen()), { timeout });
  const prompt = (want: string) => waitFor(`prompt ${JSON.stringify(want)} (have ${JSON.stringify(tmux.promptLine())})`, () => tmux.promptLine().trimEnd() === want, { timeout: 10000 });
  try {
    run();
    // Generous: the first start of node + Ink on a loaded 2-core CI machine can take long.
    await screen('the status line', /connected · 1 task, 1 worker/, 45000);

    tmux.type('ls');
    tmux.keys('Enter');
    // CPU and memory: `-` until the daemon has sampled them.
    await screen('ls', /^> ls\nTASK +STATE +WORKERS +RESTARTS +CPU +MEM +LAST EXIT\nTask +running +1\/1 +0 +\S+ +\S+( [KMGT]?i?B)?$/m);

    tmux.type('set Ta');
    await prompt('> set Ta');
    tmux.keys('Tab');
    await prompt('> set Task');

    tmux.type('cardinality 3');
    tmux.keys('Enter');
    await screen('the daemon answer', /^> set Task cardinality 3\nChanged workers cardinality$/m);
    const pids = await waitFor('3 workers', async () => {
      const list = await d.api('GET', '/tasks/Task/list');
      const ps = (list.workers as { pid: number }[]).map((w) => w.pid);
      return ps.length === 3 && ps.every(alive) ? ps : undefined;
    });
    assert.equal(new Set(pids).size, 3);

    // The job runs until the test cancels it.
    tmux.type('submit sleep 1000');
    tmux.keys('Enter');
    await screen('the submit', /^Submitted job \w+ \(normal\)/m);
    const jobId = /^Submitted job (\w+)/m.exec(tmux.screen())![1]!;
    await waitState(d, jobId, 'running');
    tmux.type('jobs running');
    tmux.keys('Enter');
    await screen('the running job', new RegExp(`^> jobs running\\nID .*\\n${jobId} +running +normal +1 .* sleep 1000$`, 'm'));
    const job = await d.api('GET', `/jobs/${jobId}`);
    assert.equal(job.cwd, process.cwd(), 'the job runs in the console’s cwd');
    await d.api('DELETE', `/jobs/${jobId}`);
    await waitState(d, jobId, 'cancelled');

    tmux.keys('Up');
    await prompt('> jobs running');
    tmux.keys('Up');
    await prompt('> submit sleep 1000');

    tmux.keys('C-u');
    await prompt('>');
    tmux.type('quit');
    tmux.keys('Enter');
    assert.equal(await waitFor('the console to exit', () => tmux.exitStatus()), 0);
    tmux.kill();

    // History is kept across runs (conf in BL_CONSOLE_CONFIG_DIR).
    run();
    await screen('the second run', /connected/, 20000);
    tmux.keys('Up');
    await prompt('> quit');
    tmux.keys('Up');
    await prompt('> jobs running');
    tmux.keys('C-u', 'C-d');
    assert.equal(await waitFor('Ctrl-D to leave', () => tmux.exitStatus()), 0);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${tmux.screen()}`);
  } finally {
    tmux.dispose();
    await d.cleanup();
    rmSync(confDir, { recursive: true, force: true });
  }
});

test('on a terminal, --purge-pending and --exit ask y/N first (no: exit 1, nothing done); -y does not ask', { timeout: 60000 }, async () => {
  const d = await startInProcess({ config: { broker: { concurrency: 0 } } });
  const confDir = mkdtempSync(path.join(tmpdir(), 'bl-console-conf-'));
  const tmux = new Tmux(`bl-test-${process.pid}-ask`);
  const oneShot = (...args: string[]) => {
    tmux.kill();
    tmux.start([process.execPath, ...programArgv('console/main'), `-host=${d.url}`, ...args], { BL_CONSOLE_CONFIG_DIR: confDir, NO_COLOR: '1' });
  };
  const screen = (re: RegExp) => waitFor(`${re} on screen`, () => re.test(tmux.screen()), { timeout: 10000 });
  try {
    await d.api('POST', '/jobs', { command: 'true', cwd: '/tmp', queue: 'normal', env: {} });
    oneShot('--purge-pending');
    await screen(/Purge the pending jobs \(normal and urgent\) on http:\/\/127\.0\.0\.1:\d+\? \[y\/N\] $/m);
    tmux.type('n');
    tmux.keys('Enter');
    assert.equal(await waitFor('exit', () => tmux.exitStatus()), 1);
    assert.match(tmux.screen(), /--purge-pending: not confirmed, nothing done/);
    assert.equal((await d.api('GET', '/broker')).pending, 1, 'nothing purged');

    oneShot('--purge-pending');
    await screen(/\[y\/N\] $/m);
    tmux.type('y');
    tmux.keys('Enter');
    assert.equal(await waitFor('exit', () => tmux.exitStatus()), 0);
    assert.match(tmux.screen(), /^Purged 1 job$/m);
    assert.equal((await d.api('GET', '/broker')).pending, 0);

    oneShot('--exit', '-y');
    assert.equal(await waitFor('exit', () => tmux.exitStatus()), 0);
    assert.doesNotMatch(tmux.screen(), /\[y\/N\]/);
    await d.daemon.finished;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${tmux.screen()}`);
  } finally {
    tmux.dispose();
    await d.cleanup();
    rmSync(confDir, { recursive: true, force: true });
  }
});
