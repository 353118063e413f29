// The Spawner bl-launcher hands to the shared run code (startRun/runJob): jobs are forked by the
// guard process (guard-main.ts), which kills them if this launcher dies without a word.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromHelper, SpawnEvents, SpawnRequest, Spawner } from '../broker/spawner.js';

const here = fileURLToPath(import.meta.url);
const GUARD = path.join(path.dirname(here), `guard-main${path.extname(here)}`);

export class GuardSpawner implements Spawner {
  private guard: ChildProcess | undefined;
  private next = 1;
  private readonly pending = new Map<number, { ev: SpawnEvents; spawned: boolean }>();

  spawn(req: SpawnRequest, ev: SpawnEvents): void {
    const g = this.guard ?? this.start();
    const k = this.next++;
    this.pending.set(k, { ev, spawned: false });
    g.send({ k, req }, (err) => err && this.gone(k, `cannot reach the job guard: ${err.message}`));
  }

  close(): void {
    const g = this.guard;
    this.guard = undefined;
    if (g?.connected) g.disconnect();
  }

  private start(): ChildProcess {
    // The launcher's own loader flags (tsx from source) so the guard runs the same way.
    // Its own process group: a CTRL+C at the terminal is the launcher's to handle.
    const g = spawn(process.execPath, [...process.execArgv, GUARD], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true, serialization: 'json' });
    g.unref();
    g.channel?.unref();
    g.on('message', (m: FromHelper) => this.onMessage(m));
    const died = (why: string) => {
      if (this.guard === g) this.guard = undefined;
      for (const k of [...this.pending.keys()]) this.gone(k, why);
    };
    g.on('exit', (code, signal) => died(`the job guard exited (${signal ?? `code ${code}`})`));
    g.on('error', (e) => died(`the job guard failed: ${e.message}`));
    this.guard = g;
    return g;
  }

  private gone(k: number, why: string): void {
    const p = this.pending.get(k);
    if (!p) return;
    this.pending.delete(k);
    if (p.spawned) p.ev.lost(why);
    else p.ev.failed(why);
  }

  private onMessage(m: FromHelper): void {
    const p = this.pending.get(m.k);
    if (!p) return;
    if (m.t === 'spawned') {
      p.spawned = true;
      return p.ev.spawned(m.pid);
    }
    this.pending.delete(m.k);
    if (m.t === 'failed') p.ev.failed(m.message);
    else p.ev.exited(m.code, m.signal);
  }
}
