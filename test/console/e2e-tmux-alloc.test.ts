// `alloc` in the shell, in a real terminal (tmux), as an operator of a Slurm cluster meets it:
// the status line counting allocations, the list, two more submitted, Tab offering the live
// ids with their state and node, one cancelled, a pause and its resume, a daemon without Slurm,
// the list on a narrow terminal. Against the console's fake daemon, which serves the contract's
// allocation routes while the daemon's own are being built (switch to a real daemon with
// `broker.slurm` once they land). The test waits for what the screen shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { programArgv } from '../helpers/daemon.js';
import { FakeAllocations } from '../helpers/fake-allocations.js';
import { waitFor } from '../helpers/wait.js';
import { startFakeDaemon, type FakeDaemon } from './fake-daemon.js';
import { Tmux } from './tmux.js';

/** A console in tmux against `host`, with helpers that wait for what the screen shows. */
function shell(name: string, host: string, size = { cols: 150, rows: 50 }) {
  const confDir = mkdtempSync(path.join(tmpdir(), 'bl-console-conf-'));
  const tmux = new Tmux(`bl-test-${process.pid}-${name}`);
  tmux.start([process.execPath, ...programArgv('console/main'), `-host=${host}`], { BL_CONSOLE_CONFIG_DIR: confDir, NO_COLOR: '1' }, size);
  const screen = (what: string, re: RegExp, timeout = 10000) => waitFor(`${what}: ${re} on screen`, () => re.test(tmux.screen()), { timeout });
  const prompt = (want: string) => waitFor(`prompt ${JSON.stringify(want)} (have ${JSON.stringify(tmux.promptLine())})`, () => tmux.promptLine().trimEnd() === want, { timeout: 10000 });
  /** The status line: the last line that says whether the host is connected. */
  const status = () => [...tmux.screen().split('\n')].reverse().find((l) => /^[●○] /.test(l)) ?? '';
  const statusIs = (what: string, re: RegExp) => waitFor(`${what}: the status line to match ${re} (have ${JSON.stringify(status())})`, () => re.test(status()), { timeout: 10000 });
  const line = (text: string) => {
    tmux.type(text);
    tmux.keys('Enter');
  };
  const dispose = () => {
    tmux.dispose();
    rmSync(confDir, { recursive: true, force: true });
  };
  return { tmux, screen, prompt, status, statusIs, line, dispose };
}

/** A fake daemon with Slurm: one allocation running on cn01, one queued, one ended. */
async function slurmDaemon(): Promise<{ f: FakeDaemon; allocs: FakeAllocations }> {
  const f = await startFakeDaemon(['Web']);
  const allocs = (f.allocations = new FakeAllocations());
  allocs.add({ id: '3999', state: 'ended', node: 'cn02', jobs_run: 31, reason: 'reached its time limit (walltime 01:00:00) while idle: the launcher left at the end of its allocation' });
  allocs.add({ id: '4001' });
  allocs.start('4001', 'cn01', 50 * 60);
  allocs.get('4001').jobs_run = 12;
  allocs.add({ id: '4002' });
  return { f, allocs };
}

test('in the shell: the status line counts allocations; alloc lists them; add 2; Tab offers live ids with state and node; cancel; a pause and resume; a daemon without Slurm', { timeout: 120000 }, async () => {
  const { f, allocs } = await slurmDaemon();
  const plain = await startFakeDaemon(['Db']);
  const s = shell('alloc', f.host);
  try {
    // Generous: the first start of node + Ink on a loaded 2-core machine can take long.
    await s.screen('the status line', /connected · 1 task, 1 worker · jobs 0 running, 0 pending · concurrency 2 · 2 allocations$/m, 45000);

    s.line('alloc');
    await s.screen(
      'alloc',
      /^> alloc\nID +STATE +NODE +TIME LEFT +JOBS +CONNECTED +REASON\n3999 +ended +cn02 +- +31 +- +reached its time limit \(walltime 01:00:00\) while idle: the launcher left at the end of its allocation\n4001 +running +cn01 +(50m 00s|49m \d\ds) +12 +yes\n4002 +pending +- +- +0 +no\n>/m,
    );

    s.line('alloc add 2');
    await s.screen('the daemon’s answer', /^> alloc add 2\nSubmitted 2 allocations: 4003, 4004$/m);
    await s.statusIs('four live now', /· 4 allocations$/);

    // Live ones only (not 3999, which has ended), each with its state and node.
    s.tmux.type('alloc cancel ');
    s.tmux.keys('Tab');
    await s.prompt('> alloc cancel 400');
    s.tmux.keys('Tab');
    await s.screen('the listing', /^> alloc cancel 400 *\n4001 +running +cn01\n4002 +pending +-\n4003 +pending +-\n4004 +pending +-$/m);
    s.tmux.type('1');
    s.tmux.keys('Tab');
    await s.prompt('> alloc cancel 4001');
    s.tmux.keys('Enter');
    await s.screen('the cancel', /^> alloc cancel 4001\nCancelled allocation 4001$/m);
    assert.equal(allocs.get('4001').state, 'ending');
    // Subcommands complete too.
    s.tmux.type('alloc re');
    s.tmux.keys('Tab');
    await s.prompt('> alloc resume');
    s.tmux.keys('C-u');
    await s.prompt('>');

    allocs.pause('sbatch failed 3 times in a row: sbatch: error: Batch job submission failed: Invalid partition name specified');
    await s.statusIs('the pause', /· 4 allocations \(paused\)$/);
    s.line('alloc');
    await s.screen('the pause on top', /^> alloc\nPaused: sbatch failed 3 times in a row: sbatch: error: Batch job submission failed: Invalid partition name specified \(alloc resume submits again\)\nID +STATE /m);
    s.line('alloc resume');
    await s.screen('resumed', /^> alloc resume\nResumed: allocations are submitted again as pending work needs them$/m);
    await s.statusIs('no pause', /· 4 allocations$/);

    s.line('help');
    await s.screen('help', /^alloc \[ls \| add \[N\] \| cancel ID \| resume\] +allocations +Slurm allocations running launchers/m);

    // A daemon without broker.slurm: no count on the status line; alloc says why, once.
    s.line(`open ${plain.host}`);
    await s.statusIs('the other daemon', new RegExp(`^● ${plain.host.replace(/\./g, '\\.')} +connected · 1 task, 1 worker · jobs 0 running, 0 pending · concurrency 2$`));
    s.line('alloc');
    await s.screen('the refusal', /^> alloc\nERROR: no broker\.slurm in the config\n>/m);
    assert.equal(s.tmux.screen().split('\n').filter((l) => l === 'ERROR: no broker.slurm in the config').length, 1, 'said once');
    s.line('quit');
    assert.equal(await waitFor('the console to exit', () => s.tmux.exitStatus()), 0);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${s.tmux.screen()}`);
  } finally {
    s.dispose();
    await Promise.all([f.close(), plain.close()]);
  }
});

test('on a narrow terminal, alloc fits without wrapping: the reason is cut with …', { timeout: 90000 }, async () => {
  const { f } = await slurmDaemon();
  const cols = 72;
  const s = shell('alloc-narrow', f.host, { cols, rows: 30 });
  try {
    await s.screen('the status line', /connected/, 45000);
    s.line('alloc');
    await s.screen('alloc', /^> alloc\nID +STATE +NODE +TIME LEFT +JOBS +CONNECTED +REASON\n3999 +ended +cn02 +- +31 +- +reached its time [^\n]*…\n4001 +running +cn01 /m);
    // capture-pane -J joins a wrapped line: any longer than the terminal wrapped.
    const long = s.tmux.screen().split('\n').filter((l) => [...l].length > cols);
    assert.deepEqual(long, [], 'no line wraps');
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${s.tmux.screen()}`);
  } finally {
    s.dispose();
    await f.close();
  }
});
