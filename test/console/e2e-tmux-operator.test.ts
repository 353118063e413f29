// The operator's day in the shell, in a real terminal (tmux), as a person sees it: tasks with
// their workers and usage, a task's log followed and left, job ids offered with their state
// and command (newest first), start/stop offering only what they can act on, a job's log
// followed to its end, `jobs` on a narrow terminal, `watch` ticking. Against a real daemon;
// what the daemon does not fill yet (CPU, memory, last exit, every task's log, reload) against
// the small fake one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { programArgv } from '../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { waitState } from '../helpers/jobs.js';
import { waitForWorkers } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';
import { startFakeDaemon } from './fake-daemon.js';
import { Tmux } from './tmux.js';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A console in tmux against `host`, with helpers that wait for what the screen shows. */
function shell(name: string, host: string, size = { cols: 150, rows: 50 }) {
  const confDir = mkdtempSync(path.join(tmpdir(), 'bl-console-conf-'));
  const tmux = new Tmux(`bl-test-${process.pid}-${name}`);
  tmux.start([process.execPath, ...programArgv('console/main'), `-host=${host}`], { BL_CONSOLE_CONFIG_DIR: confDir, NO_COLOR: '1' }, size);
  const screen = (what: string, re: RegExp, timeout = 10000) => waitFor(`${what}: ${re} on screen`, () => re.test(tmux.screen()), { timeout });
  const prompt = (want: string) => waitFor(`prompt ${JSON.stringify(want)} (have ${JSON.stringify(tmux.promptLine())})`, () => tmux.promptLine().trimEnd() === want, { timeout: 10000 });
  const line = (text: string) => {
    tmux.type(text);
    tmux.keys('Enter');
  };
  const dispose = () => {
    tmux.dispose();
    rmSync(confDir, { recursive: true, force: true });
  };
  return { tmux, screen, prompt, line, dispose };
}

async function submitAndWait(d: InProcessDaemon, command: string, state: string): Promise<string> {
  const j = await d.api('POST', '/jobs', { command, cwd: '/tmp' });
  await waitState(d, j.id, state);
  return j.id as string;
}

test('in the shell: ls, lw, status T, log T -f, job ids on Tab, start/stop offer what they can act on, log ID -f to its end', { timeout: 120000 }, async () => {
  const d = await startInProcess({
    config: {
      tasks: {
        Ticker: { cmd: '/bin/sh', args: ['-c', 'while true; do echo tick; sleep 0.3; done'], cardinality: 2, stall_timeout: 0 },
        Idle: { cmd: '/bin/sleep', args: ['1000'], cardinality: 1, stall_timeout: 0, autostart: false },
      },
      broker: { concurrency: 1 },
    },
  });
  const go = path.join(d.dir, 'go');
  const s = shell('day', d.url);
  try {
    await waitForWorkers(d, 'Ticker', 2);
    const first = await submitAndWait(d, 'echo first', 'succeeded');
    const second = await submitAndWait(d, 'echo second', 'succeeded');
    const held = await submitAndWait(d, `echo held; while [ ! -e ${go} ]; do sleep 0.02; done; echo done`, 'running');
    // Generous: the first start of node + Ink on a loaded 2-core machine can take long.
    await s.screen('the status line', /connected · 1 task, 2 workers/, 45000);

    // CPU and memory: `-` until the daemon samples them, figures after.
    const usage = '(-|[\\d.]+%) +(-|[\\d.]+ [KMGT]?i?B)';
    s.line('ls');
    await s.screen('ls', new RegExp(`^> ls\\nTASK +STATE +WORKERS +RESTARTS +CPU +MEM +LAST EXIT\\nIdle +stopped +0/1 +0 +- +-\\nTicker +running +2/2 +0 +${usage}$`, 'm'));
    s.line('lw');
    await s.screen('lw', new RegExp(`^> lw\\nTASK +PID +STATE +STARTED +LAST ALIVE +CPU +MEM +INFO\\n(Ticker +\\d+ +running +\\S+ +- +${usage}\\n){2}`, 'm'));
    s.line('status Ticker');
    await s.screen('status T', /^> status Ticker\nTask name: +Ticker\n[\s\S]*^Restarts: +0\n^CPU: +\S+\n^Memory: +.+\n[\s\S]*^Last exit: +-$/m);

    s.line('log Ticker -f');
    await s.screen('the followed task log', /^log Ticker -f · following · press any key to leave\n(tick\n)+/m);
    s.tmux.keys('q');
    await s.screen('left', /^tick\n\(left; the task runs on\)\n>/m);

    // Job ids with their state and command, newest first, after the task names.
    s.tmux.type('log ');
    s.tmux.keys('Tab');
    await s.prompt('> log');
    s.tmux.keys('Tab');
    await s.screen('the listing', new RegExp(`^> log *\\nIdle +task\\nTicker +task\\n${held} +running +echo held; while .*\\n${second} +succeeded +echo second\\n${first} +succeeded +echo first$`, 'm'));
    // A unique start completes to the id, not to its note.
    s.tmux.type(second.slice(0, 20));
    s.tmux.keys('Tab');
    await s.prompt(`> log ${second}`);
    s.tmux.keys('Enter');
    await s.screen('the job’s log', new RegExp(`^> log ${second}\\nsecond\\n>`, 'm'));

    // Only what can be started, stopped, cancelled.
    s.tmux.type('start ');
    s.tmux.keys('Tab');
    await s.prompt('> start Idle');
    s.tmux.keys('C-u');
    s.tmux.type('stop ');
    s.tmux.keys('Tab');
    await s.prompt('> stop Ticker');
    s.tmux.keys('C-u');
    s.tmux.type('cancel ');
    s.tmux.keys('Tab');
    await s.prompt(`> cancel ${held}`);
    s.tmux.keys('C-u');

    // `open`'s second Tab does not type the host again.
    s.tmux.type('open ');
    s.tmux.keys('Tab');
    await s.prompt(`> open ${d.url}`);
    s.tmux.keys('Tab');
    s.tmux.type('x');
    await s.prompt(`> open ${d.url} x`);
    s.tmux.keys('C-u');

    // A job's log followed to its end, then how it ended.
    s.line(`log ${held} -f`);
    await s.screen('the followed job log', new RegExp(`^log ${held} -f · following · press any key to leave\\nheld$`, 'm'));
    writeFileSync(go, '');
    await s.screen('its end', new RegExp(`^> log ${held} -f\\nheld\\ndone\\n--- job ${held} succeeded \\(exit 0\\)\\n>`, 'm'));
    s.line('quit');
    assert.equal(await waitFor('the console to exit', () => s.tmux.exitStatus()), 0);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${s.tmux.screen()}`);
  } finally {
    s.dispose();
    await d.cleanup();
  }
});

test('on a narrow terminal, jobs lists the newest first without wrapping (short ids, commands cut); watch’s times tick', { timeout: 90000 }, async () => {
  const d = await startInProcess({ config: { broker: { concurrency: 1 } } });
  const go = path.join(d.dir, 'go');
  const cols = 60;
  const s = shell('narrow', d.url, { cols, rows: 30 });
  try {
    const ids: string[] = [];
    for (const what of ['the documentation', 'every optional feature enabled']) ids.push(await submitAndWait(d, `echo build ${what} with a rather long command line`, 'succeeded'));
    const held = await submitAndWait(d, `while [ ! -e ${go} ]; do sleep 0.02; done`, 'running');
    await s.screen('the status line', /connected/, 45000);
    s.line('jobs');
    await s.screen(
      'jobs',
      new RegExp(`^> jobs\\nID +STATE +QUEUE +TRY +WHEN +EXIT +COMMAND\\n${held.slice(-8)} +running +normal +1 +\\d+s ago +while .*…\\n${ids[1]!.slice(-8)} +succeeded +normal +1 +\\d+s ago +0 +echo build.*…\\n${ids[0]!.slice(-8)} +succeeded .*…\\n>`, 'm'),
    );
    // capture-pane -J joins a wrapped line: any longer than the terminal wrapped.
    const long = s.tmux.screen().split('\n').filter((l) => [...l].length > cols);
    assert.deepEqual(long, [], 'no line wraps');

    s.line('watch');
    // In the live view, below its header (the `jobs` above it in the scrollback stays as printed).
    const live = () => s.tmux.screen().split('watch · every').at(1) ?? '';
    const when = () => new RegExp(`^${held.slice(-8)} +running +normal +1 +(\\d+)s ago`, 'm').exec(live())?.[1];
    const firstSeen = await waitFor('the running job in watch', when);
    await waitFor(`its time to tick past ${firstSeen}s`, () => (when() ?? firstSeen) !== firstSeen, { timeout: 10000 });
    s.tmux.keys('q');
    await s.prompt('>');
    writeFileSync(go, '');
    await waitState(d, held, 'succeeded');
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${s.tmux.screen()}`);
  } finally {
    s.dispose();
    await d.cleanup();
  }
});

test('what the daemon will give: CPU and memory, the last exit with its output, every task’s log followed, reload', { timeout: 90000 }, async () => {
  const f = await startFakeDaemon(['Web', 'Flaky']);
  const usage = { cpu_percent: 12.5, rss_bytes: 47_400_000 };
  const web = f.tasks.get('Web')!;
  web.cardinality = 2;
  web.extra = { usage: { cpu_percent: 25, rss_bytes: 94_800_000 }, counters: { stalled: 0, exited_ok: 0, exited_error: 3, stopped: 0, restarts: 3 } };
  web.output = ['listening on :8080'];
  const at = new Date(Date.now() - 5000).toISOString();
  const flaky = f.tasks.get('Flaky')!;
  flaky.extra = {
    state: 'backoff', active: 0, workers: [],
    counters: { stalled: 0, exited_ok: 0, exited_error: 4, stopped: 0, restarts: 4 },
    last_exit: { pid: 4242, kind: 'exited', code: 1, signal: null, at, message: 'exited 1', output: ['starting', 'Error: cannot bind :8080 (EADDRINUSE)'] },
  };
  const s = shell('fake', f.host);
  try {
    await s.screen('the status line', /connected/, 45000);
    s.line('ls');
    await s.screen('ls', /^> ls\nTASK +STATE +WORKERS +RESTARTS +CPU +MEM +LAST EXIT\nWeb +running +2\/2 +3 +25\.0% +90\.4 MiB\nFlaky +backoff +0\/1 +4 +- +- +exited 1 \(\d+s ago\)$/m);
    s.line('status Flaky');
    await s.screen('status T', new RegExp(`^Last exit: +exited 1 \\(pid 4242\\) at ${esc(at)} \\(\\d+s ago\\)\\n {2}│ starting\\n {2}│ Error: cannot bind :8080 \\(EADDRINUSE\\)\\n>`, 'm'));
    web.extra.workers = [1000, 1001].map((pid) => ({ task: 'Web', pid, started_at: at, last_alive_at: null, state: 'running' as const, info: null, adopted: false, usage }));
    s.line('lw');
    await s.screen('lw', /^> lw\nTASK +PID +STATE +STARTED +LAST ALIVE +CPU +MEM +INFO\nWeb +1000 +running +\S+ +- +12\.5% +45\.2 MiB\nWeb +1001 +running /m);

    s.line('log -f');
    await s.screen('every task’s log', /^log -f · following · press any key to leave\nWeb 1000 \| listening on :8080$/m);
    f.emit('Flaky', 4243, 'starting');
    await s.screen('a new line', /^Web 1000 \| listening on :8080\nFlaky 4243 \| starting$/m);
    s.tmux.keys('q');
    await s.screen('left', /^\(left; the tasks run on\)\n>/m);

    f.reload = { status: 200, text: 'Reloaded /etc/bl.json: added [Cache], removed [], changed [Web]', json: {} };
    s.line('reload');
    await s.screen('reload', /^> reload\nReloaded \/etc\/bl\.json: added \[Cache\], removed \[\], changed \[Web\]$/m);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${s.tmux.screen()}`);
  } finally {
    s.dispose();
    await f.close();
  }
});
