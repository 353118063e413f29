// `alloc` in the shell, in a real terminal (tmux), as an operator of a Slurm cluster meets it:
// the status line counting allocations, the list, two more submitted, Tab offering the live
// ids with their state and node, one cancelled, a pause (the partition drained) and its resume,
// a daemon without Slurm, the list on a narrow terminal. Against a real bl-daemon with
// broker.slurm over a real one-node Slurm (one pilot fills the node: one allocation runs, the
// next wait in Slurm's queue), and one without. The test waits for what the screen shows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { programArgv } from '../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { startSlurmDaemon, type Scene, type SlurmDaemon } from '../helpers/slurm-daemon.js';
import { waitFor } from '../helpers/wait.js';
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

let slurm: SlurmDaemon;
let plain: InProcessDaemon;
let scene: Scene;
before(async () => {
  [slurm, plain] = await Promise.all([startSlurmDaemon(), startInProcess({ config: { broker: { concurrency: 2 } } })]);
  scene = await slurm.scene();
});
after(async () => {
  await Promise.all([slurm?.stop(), plain?.cleanup()]);
});

const re = (s: string) => s.replace(/[.()/]/g, '\\$&');
const DRAINED = 'sbatch: error: Batch job submission failed: Required partition not available (inactive or drain)';

test('on a narrow terminal, alloc fits without wrapping: the reason is cut with …', { timeout: 90000 }, async () => {
  const cols = 72;
  const s = shell('alloc-narrow', slurm.host, { cols, rows: 30 });
  try {
    await s.screen('the status line', /connected/, 45000);
    s.line('alloc');
    await s.screen('alloc', new RegExp(`^> alloc\\nID +STATE +NODE +TIME LEFT +JOBS +CONNECTED +REASON\\n${scene.ended} +ended +- +- +0 +- +cancelled by DELETE[^\\n]*…\\n${scene.running} +running +${re(slurm.slurm.node)} `, 'm'));
    // capture-pane -J joins a wrapped line: any longer than the terminal wrapped.
    const long = s.tmux.screen().split('\n').filter((l) => [...l].length > cols);
    assert.deepEqual(long, [], 'no line wraps');
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${s.tmux.screen()}`);
  } finally {
    s.dispose();
  }
});

test('in the shell: the status line counts allocations; alloc lists them; add 2; Tab offers live ids with state and node; cancel; a pause and resume; a daemon without Slurm', { timeout: 180000 }, async () => {
  const { running, pending, ended } = scene;
  const node = re(slurm.slurm.node);
  const plainHost = new URL(plain.url).host;
  // Wide enough for Slurm's whole refusal on one line.
  const s = shell('alloc', slurm.host, { cols: 200, rows: 50 });
  try {
    // Generous: the first start of node + Ink on a loaded 2-core machine can take long.
    await s.screen('the status line', /connected · 0 tasks, 0 workers · jobs 0 running, 0 pending · concurrency 2 · 2 allocations$/m, 45000);

    s.line('alloc');
    await s.screen(
      'alloc',
      new RegExp(
        `^> alloc\\nID +STATE +NODE +TIME LEFT +JOBS +CONNECTED +REASON\\n${ended} +ended +- +- +0 +- +cancelled by DELETE /broker/allocations/${ended}\\n` +
          `${running} +running +${node} +\\d+m \\d\\ds +1 +yes\\n${pending} +pending +- +- +0 +no +waiting in Slurm: \\w+\\n>`,
        'm',
      ),
    );

    s.line('alloc add 2');
    const [third, fourth] = [Number(ended) + 1, Number(ended) + 2];
    await s.screen('the daemon’s answer', new RegExp(`^> alloc add 2\\nSubmitted 2 allocations: ${third}, ${fourth}$`, 'm'));
    await s.statusIs('four live now', /· 4 allocations$/);

    // Live ones only (not the ended one), each with its state and node.
    s.tmux.type('alloc cancel ');
    s.tmux.keys('Tab');
    await s.prompt('> alloc cancel 400');
    s.tmux.keys('Tab');
    await s.screen('the listing', new RegExp(`^> alloc cancel 400 *\\n${running} +running +${node}\\n${pending} +pending +-\\n${third} +pending +-\\n${fourth} +pending +-$`, 'm'));
    s.tmux.type(running.slice(3));
    s.tmux.keys('Tab');
    await s.prompt(`> alloc cancel ${running}`);
    s.tmux.keys('Enter');
    await s.screen('the cancel', new RegExp(`^> alloc cancel ${running}\\nCancelling allocation ${running}: scancel sent, it ends when Slurm has stopped it$`, 'm'));
    assert.match((await slurm.get(running))!.state, /^(ending|ended)$/);
    await slurm.waitFor(running, 'to end', (a) => a.state === 'ended');
    await s.statusIs('three live', /· 3 allocations$/);
    // Subcommands complete too.
    s.tmux.type('alloc re');
    s.tmux.keys('Tab');
    await s.prompt('> alloc resume');
    s.tmux.keys('C-u');
    await s.prompt('>');

    // The partition drained: sbatch refused three times in a row pauses submission.
    slurm.drain();
    try {
      for (let i = 1; i <= 3; i++) {
        s.line('alloc add');
        await waitFor(`refusal ${i} on screen`, () => s.tmux.screen().split('\n').filter((l) => l === `ERROR: sbatch failed: ${DRAINED}`).length === i, { timeout: 20000 });
      }
    } finally {
      slurm.undrain();
    }
    await s.statusIs('the pause', /· 3 allocations \(paused\)$/);
    s.line('alloc');
    await s.screen('the pause on top', new RegExp(`^> alloc\\nPaused: sbatch failed 3 times in a row: ${re(DRAINED)} \\(alloc resume submits again\\)\\nID +STATE `, 'm'));
    s.line('alloc resume');
    await s.screen('resumed', /^> alloc resume\nAllocation submission resumed$/m);
    await s.statusIs('no pause', /· 3 allocations$/);

    s.line('help');
    await s.screen('help', /^alloc \[ls \| add \[N\] \| cancel ID \| resume\] +allocations +Slurm allocations running launchers/m);

    // A daemon without broker.slurm: no count on the status line; alloc says why, once.
    s.line(`open ${plainHost}`);
    await s.statusIs('the other daemon', new RegExp(`^● ${re(plainHost)} +connected · 0 tasks, 0 workers · jobs 0 running, 0 pending · concurrency 2$`));
    s.line('alloc');
    await s.screen('the refusal', /^> alloc\nERROR: no broker\.slurm in the config\n>/m);
    assert.equal(s.tmux.screen().split('\n').filter((l) => l === 'ERROR: no broker.slurm in the config').length, 1, 'said once');
    s.line('quit');
    assert.equal(await waitFor('the console to exit', () => s.tmux.exitStatus()), 0);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- screen ---\n${s.tmux.screen()}`);
  } finally {
    s.dispose();
  }
});
