// The Ink shell through ink-testing-library, against a small fake daemon: prompt editing,
// history, every completion position, unknown commands, leaving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { render } from 'ink-testing-library';
import { App, type ShellSession } from '../../console/ui/app.js';
import { Session } from '../../console/session.js';
import { fakeJob, startFakeDaemon, type FakeDaemon } from './fake-daemon.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/net.js';

let d: FakeDaemon;
before(async () => {
  d = await startFakeDaemon(['Task', 'Tally', 'Other']);
  d.jobs.push(fakeJob('01JAAAAAAAAAAAAAAAAAAAAAA1', 'running'), fakeJob('01JAAAAAAAAAAAAAAAAAAAAAB2', 'pending'), fakeJob('01JBBBBBBBBBBBBBBBBBBBBBB3', 'succeeded'));
});
after(() => d.close());

const plain = (s: string | undefined) => (s ?? '').replace(/\u001b\[[0-9;]*m/g, '');

function shell(history: string[] = [], hosts = [d.host], session: ShellSession = new Session({ hosts, cwd: '/tmp', knownHosts: ['other-node:8010'] })) {
  let exited = 0;
  const lines: string[] = [];
  const ui = render(<App session={session} historyLater={Promise.resolve(history)} pollMs={50} onLine={(l) => lines.push(l)} onExit={() => exited++} />);
  /** The prompt line as shown (cursor cell included), e.g. `> set Task `. */
  const promptLine = () => plain(ui.lastFrame()).split('\n').reverse().find((l) => /^>( |$)/.test(l)) ?? '';
  const expectPrompt = (want: string) => waitFor(`prompt ${JSON.stringify(want)} (have ${JSON.stringify(promptLine())})`, () => promptLine().trimEnd() === want, { timeout: 10000 });
  const expectFrame = (re: RegExp) => waitFor(`frame to match ${re}`, () => re.test(plain(ui.lastFrame())), { timeout: 10000 });
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      ui.stdin.write(k);
      // Ink reads input on its next tick; give each key its own chunk.
      await new Promise((r) => setImmediate(r));
    }
  };
  return { ui, session, promptLine, expectPrompt, expectFrame, press, lines, exited: () => exited };
}

const KEY = { left: '\u001b[D', right: '\u001b[C', up: '\u001b[A', down: '\u001b[B', home: '\u001b[H', end: '\u001b[F', back: '\u007f', tab: '\t', enter: '\r', ctrlA: '\u0001', ctrlE: '\u0005', ctrlU: '\u0015', ctrlW: '\u0017', ctrlC: '\u0003', ctrlD: '\u0004' };

test('prompt editing: insert, backspace, arrows, Home/End, Ctrl-A/E/U/W', async () => {
  const s = shell();
  await s.expectFrame(/connected/);
  await s.press('s', 'e', 't', 't', KEY.back);
  await s.expectPrompt('> set');
  await s.press(KEY.left, KEY.left, 'x');
  await s.expectPrompt('> sxet');
  await s.press(KEY.home, '[');
  await s.expectPrompt('> [sxet');
  await s.press(KEY.end, ']');
  await s.expectPrompt('> [sxet]');
  await s.press(KEY.ctrlA, 'A', KEY.ctrlE, 'E');
  await s.expectPrompt('> A[sxet]E');
  await s.press(' ', 'w', 'o', 'r', 'd', KEY.ctrlW);
  await s.expectPrompt('> A[sxet]E');
  // Ctrl-W took the word, not the space before it.
  await s.press(KEY.left, KEY.left, KEY.left, KEY.ctrlU);
  await s.expectPrompt('> ]E');
  await s.press(KEY.right, KEY.ctrlC);
  await s.expectPrompt('>');
  assert.equal(s.exited(), 0, 'Ctrl-C on a line only clears it');
  s.ui.unmount();
});

test('history: ↑/↓ through earlier runs and this one, the draft comes back', async () => {
  const s = shell(['status', 'ls']);
  await s.expectFrame(/connected/);
  await s.press('h', 'e', 'l', 'p', KEY.enter);
  await s.expectFrame(/listworkers \[TASK\]/);
  await s.press('dr', KEY.up);
  await s.expectPrompt('> help');
  await s.press(KEY.up);
  await s.expectPrompt('> ls');
  await s.press(KEY.up, KEY.up);
  await s.expectPrompt('> status');
  await s.press(KEY.down, KEY.down, KEY.down);
  await s.expectPrompt('> dr');
  assert.deepEqual(s.lines, ['help']);
  s.ui.unmount();
});

test('completion by position', async () => {
  const s = shell();
  await s.expectFrame(/connected/);
  // [typed, shown after one Tab]
  const cases: [string, string][] = [
    ['submi', '> submit'],
    ['listw', '> listworkers'],
    ['set Ot', '> set Other'],
    ['set Tas', '> set Task'],
    ['lw Oth', '> lw Other'],
    ['set Task c', '> set Task cardinality'],
    ['set Task st', '> set Task stall_timeout'],
    ['set Task g', '> set Task grace_period'],
    ['jobs r', '> jobs running'],
    ['jobs c', '> jobs completed'],
    ['jobs e', '> jobs errors'],
    ['job 01JB', '> job 01JBBBBBBBBBBBBBBBBBBBBBB3'],
    ['log 01JB', '> log 01JBBBBBBBBBBBBBBBBBBBBBB3'],
    ['job 01JA', '> job 01JAAAAAAAAAAAAAAAAAAAAA'],
    ['cancel 01J', '> cancel 01JAAAAAAAAAAAAAAAAAAAAA'],
    ['retry 01J', '> retry 01JBBBBBBBBBBBBBBBBBBBBBB3'],
    ['connect oth', '> connect other-node:8010'],
    [`connect ${d.host.slice(0, 5)}`, `> connect ${d.host}`],
    ['help listw', '> help listworkers'],
    ['concurrency ', '> concurrency'],
    ['urgent-concurrent of', '> urgent-concurrent off'],
    ['purge p', '> purge pending'],
    ['quit x', '> quit x'],
  ];
  for (const [typed, want] of cases) {
    await s.press(KEY.ctrlU, typed, KEY.tab);
    await s.expectPrompt(want);
  }
  s.ui.unmount();
});

test('a second Tab lists the candidates; an edit hides them', async () => {
  const s = shell();
  await s.expectFrame(/connected/);
  await s.press('set Ta', KEY.tab);
  await s.expectPrompt('> set Ta');
  await s.press(KEY.tab);
  await s.expectFrame(/^Tally {2}Task$/m);
  await s.press('l');
  await waitFor('the listing to go', () => !/Tally {2}Task/.test(plain(s.ui.lastFrame())));
  await s.press(KEY.ctrlU, 'st', KEY.tab, KEY.tab);
  await s.expectFrame(/^st {2}start {2}status {2}stop$/m);
  await s.press(KEY.ctrlU, 'concurrency ', KEY.tab, KEY.tab);
  await s.expectFrame(/^\+ {2}-$/m);
  s.ui.unmount();
});

test('task names come from the daemon at completion time, not from the start', async () => {
  // Nothing cached between two Tabs here (the cache's age: session.test.ts).
  const s = shell([], [d.host], new Session({ hosts: [d.host], cwd: '/tmp', cacheMs: 0 }));
  await s.expectFrame(/connected/);
  const lists = () => d.requests.filter((r) => r === 'GET /list').length;
  const listsBefore = lists();
  await s.press('start Ne', KEY.tab);
  // The daemon answered this Tab's question before the new task comes.
  await waitFor('the names to be asked for', () => lists() > listsBefore);
  await s.expectPrompt('> start Ne');
  d.tasks.set('Newcomer', { running: false, cardinality: 1 });
  try {
    await s.press(KEY.tab);
    await s.expectPrompt('> start Newcomer');
  } finally {
    d.tasks.delete('Newcomer');
  }
  s.ui.unmount();
});

test('commands run and print; unknown ones get "Command not recognised" and a guess', async () => {
  const s = shell();
  await s.expectFrame(/connected · 3 tasks, 3 workers/);
  await s.press('set Task cardinality 4', KEY.enter);
  await s.expectFrame(/Changed workers cardinality/);
  assert.equal(d.tasks.get('Task')!.cardinality, 4);
  await s.press('lss', KEY.enter);
  await s.expectFrame(/ERROR: Command not recognised: lss\nDid you mean ls\?/);
  await s.press('jobs running', KEY.enter);
  await s.expectFrame(/01JAAAAAAAAAAAAAAAAAAAAAA1\s+running\s+normal/);
  s.ui.unmount();
  d.tasks.get('Task')!.cardinality = 1;
});

test('Ctrl-C while a command waits gives the prompt back', async () => {
  const s = shell();
  await s.expectFrame(/connected/);
  await s.press('status Hang', KEY.enter);
  await s.expectFrame(/running status Hang…/);
  await s.press('l');
  await s.press(KEY.ctrlC);
  await s.expectFrame(/\^C \(not waiting for the answer/);
  await s.expectPrompt('> l');
  assert.equal(s.exited(), 0);
  s.ui.unmount();
});

test('a burst of keys (paste, or tmux sending fast) runs in order', async () => {
  const s = shell();
  await s.expectFrame(/connected/);
  await s.press('set Oth\tcardinality 2\r');
  await s.expectFrame(/> set Other cardinality 2\nChanged workers cardinality/);
  assert.equal(d.tasks.get('Other')!.cardinality, 2);
  d.tasks.get('Other')!.cardinality = 1;
  s.ui.unmount();
});

test('leaving: Ctrl-C twice on an empty line, Ctrl-D, quit', async () => {
  const a = shell();
  await a.press(KEY.ctrlC);
  await a.expectFrame(/Ctrl-C again or Ctrl-D to leave/);
  await a.press(KEY.ctrlC);
  await waitFor('exit', () => a.exited() === 1);
  const b = shell();
  await b.press('x', KEY.ctrlD);
  await b.expectPrompt('> x');
  assert.equal(b.exited(), 0, 'Ctrl-D on a line deletes, does not leave');
  await b.press(KEY.ctrlU, KEY.ctrlD);
  await waitFor('exit', () => b.exited() === 1);
  const c = shell();
  await c.press('quit', KEY.enter);
  await waitFor('exit', () => c.exited() === 1);
});

test('the status line shows every host, reachable or not', async () => {
  const down = `127.0.0.1:${await freePort()}`;
  const s = shell([], [d.host, down]);
  await s.expectFrame(new RegExp(`● ${d.host.replace(/\./g, '\\.')} +connected · 3 tasks, 3 workers · jobs 1 running, 1 pending · concurrency 2`));
  await s.expectFrame(new RegExp(`○ ${down.replace(/\./g, '\\.')} +not connected`));
  await s.press('ls', KEY.enter);
  await s.expectFrame(new RegExp(`── ${d.host.replace(/\./g, '\\.')}\\nTASK +STATE`));
  await s.expectFrame(new RegExp(`── ${down.replace(/\./g, '\\.')}\\nERROR: cannot reach the daemon at http://${down.replace(/\./g, '\\.')}`));
  s.ui.unmount();
});

test('watch: a live view until a key is pressed', async () => {
  const s = shell();
  await s.expectFrame(/connected/);
  await s.press('watch', KEY.enter);
  await s.expectFrame(/press any key to leave[\s\S]*01JAAAAAAAAAAAAAAAAAAAAAA1\s+running/);
  d.jobs.push(fakeJob('01JCCCCCCCCCCCCCCCCCCCCCC4', 'pending'));
  try {
    await s.expectFrame(/01JCCCCCCCCCCCCCCCCCCCCCC4\s+pending/);
  } finally {
    d.jobs.pop();
  }
  await s.press('q');
  await s.expectPrompt('>');
  await waitFor('watch to close', () => !/press any key/.test(plain(s.ui.lastFrame())));
  s.ui.unmount();
});

test('log -f: output as it comes, until the job ends or a key is pressed', async () => {
  // A session whose one command follows a stream the test feeds.
  let feed: (s: string) => void = () => undefined;
  let end: (how: string) => void = () => undefined;
  let aborted = false;
  const real = new Session({ hosts: [d.host], cwd: '/tmp' });
  const session = {
    complete: real.complete.bind(real),
    hostLabels: real.hostLabels.bind(real),
    look: real.look.bind(real),
    run: async () => ({
      lines: [],
      code: 0 as const,
      follow: {
        stream: (onText: (s: string) => void, signal: AbortSignal) =>
          new Promise<string>((resolve) => {
            feed = onText;
            end = resolve;
            signal.addEventListener('abort', () => {
              aborted = true;
              resolve('');
            });
          }),
        leftNote: 'left; the job runs on',
      },
    }),
  };
  const s = shell([], [d.host], session);
  const frame = () => plain(s.ui.lastFrame());
  await waitFor('the prompt', () => /connected/.test(frame()));
  await s.press('log X -f', KEY.enter);
  await waitFor('the follow view', () => /log X -f · following · press any key to leave/.test(frame()));
  feed('first line\nsecond ');
  feed('half\n');
  await waitFor('streamed text', () => /first line\nsecond half/.test(frame()));
  end('--- job X succeeded (exit 0)');
  await waitFor('the scrollback to keep it, with how it ended', () => /first line\nsecond half\n--- job X succeeded \(exit 0\)/.test(frame()) && !/following/.test(frame()));
  // Again, left with a key this time: the stream is aborted.
  await s.press('log X -f', KEY.enter);
  await waitFor('the follow view again', () => /following · press any key/.test(frame()));
  feed('more\n');
  await waitFor('more text', () => /^more$/m.test(frame()));
  await s.press('q');
  await waitFor('left', () => /\(left; the job runs on\)/.test(frame()) && !/following/.test(frame()));
  assert.equal(aborted, true);
  s.ui.unmount();
});
