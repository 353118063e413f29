// Console start-up benchmark, run by hand (not part of npm test):
//   npx tsc -p . && node dist/bench/console.js [runs]
// Times (1) start to first prompt in a real terminal (tmux), for bl-console, for
// `supervisorctl` (its interactive `supervisor> ` prompt) and for a shell that only prints
// `> ` (the cost of tmux and of measuring); (2) `bl-console --status` end to end against
// `supervisorctl status`, each against its own daemon, all in the same run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, startDaemon } from '../test/helpers/daemon.js';
import { sleep, waitFor } from '../test/helpers/wait.js';
import { Tmux } from '../test/console/tmux.js';

const runs = Number(process.argv[2] ?? 15);
const consoleJs = path.join(repoRoot, 'dist', 'console', 'main.js');
if (!existsSync(consoleJs)) throw new Error(`build first: ${consoleJs} is missing (npx tsc -p .)`);

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)]!;
  return `median ${med.toFixed(0)} ms  (min ${s[0]!.toFixed(0)}, max ${s[s.length - 1]!.toFixed(0)}, n=${s.length})`;
}

/** ms from asking tmux to start `argv` until `ready` matches the screen (polled every ~2 ms). */
async function timeToScreen(tmux: Tmux, argv: string[], ready: RegExp, env: Record<string, string> = {}): Promise<number> {
  const t0 = process.hrtime.bigint();
  tmux.start(argv, env, { cols: 150, rows: 40 });
  for (;;) {
    if (ready.test(tmux.screen())) return Number(process.hrtime.bigint() - t0) / 1e6;
    if (Number(process.hrtime.bigint() - t0) > 10e9) throw new Error(`no ${ready} after 10 s:\n${tmux.screen()}`);
    await sleep(2);
  }
}

function timeRun(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} → ${r.status}: ${r.stderr}`);
  return ms;
}

/** A private supervisord with one `sleep` program, like the bl daemon's one task. */
async function startSupervisord(dir: string): Promise<string | undefined> {
  if (spawnSync('which', ['supervisord']).status !== 0) return undefined;
  const conf = path.join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    `[unix_http_server]\nfile=${dir}/s.sock\n[supervisord]\nlogfile=${dir}/d.log\npidfile=${dir}/d.pid\nchildlogdir=${dir}\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
      `[supervisorctl]\nserverurl=unix://${dir}/s.sock\n[program:Task]\ncommand=/bin/sleep 1000\n`,
  );
  execFileSync('supervisord', ['-c', conf]);
  await waitFor('supervisord', () => spawnSync('supervisorctl', ['-c', conf, 'status']).stdout.toString().includes('RUNNING'), { timeout: 15000 });
  return conf;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-bench-console-'));
  const d = await startDaemon({ config: { tasks: { Task: { cmd: '/bin/sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } } } });
  const supConf = await startSupervisord(dir);
  const tmux = new Tmux(`bl-bench-${process.pid}`);
  const env = { BL_CONSOLE_CONFIG_DIR: path.join(dir, 'conf') };
  const prompt = /^> /m;
  const full = /connected · 1 task/;
  const res: Record<string, number[]> = { shell: [], prompt: [], frame: [], supPrompt: [], status: [], supStatus: [], nodeBare: [] };
  try {
    for (let i = 0; i < runs; i++) {
      res.shell!.push(await timeToScreen(tmux, ['/bin/sh', '-c', 'printf "> "; sleep 10'], prompt));
      tmux.kill();
      // First prompt, then the whole Ink frame (status line filled from the daemon).
      const t0 = process.hrtime.bigint();
      res.prompt!.push(await timeToScreen(tmux, [process.execPath, consoleJs, `-host=${d.url}`], prompt, env));
      await waitFor('the full frame', () => full.test(tmux.screen()), { timeout: 10000, interval: 2 });
      res.frame!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      tmux.kill();
      if (supConf) {
        res.supPrompt!.push(await timeToScreen(tmux, ['supervisorctl', '-c', supConf], /^supervisor> /m));
        tmux.kill();
      }
      res.status!.push(timeRun(process.execPath, [consoleJs, `-host=${d.url}`, '--status']));
      res.nodeBare!.push(timeRun(process.execPath, ['-e', '0']));
      if (supConf) res.supStatus!.push(timeRun('supervisorctl', ['-c', supConf, 'status']));
    }
  } finally {
    tmux.dispose();
    if (supConf) spawnSync('supervisorctl', ['-c', supConf, 'shutdown']);
    await d.stop();
    d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`bl-console start-up (${runs} runs each; node ${process.version})`);
  console.log('In tmux, from start to the screen showing it:');
  console.log(`  sh printing "> " (tmux + polling)      ${stats(res.shell!)}`);
  console.log(`  bl-console first prompt "> "          ${stats(res.prompt!)}`);
  console.log(`  bl-console full frame (status line)   ${stats(res.frame!)}`);
  console.log(`  supervisorctl prompt "supervisor> "   ${supConf ? stats(res.supPrompt!) : 'supervisord not installed'}`);
  console.log('End to end, spawn to exit:');
  console.log(`  node -e 0                             ${stats(res.nodeBare!)}`);
  console.log(`  bl-console --status                   ${stats(res.status!)}`);
  console.log(`  supervisorctl status                  ${supConf ? stats(res.supStatus!) : 'supervisord not installed'}`);
}

await main();
