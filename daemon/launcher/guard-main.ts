// bl-launcher's job guard: starts the launcher's jobs (in groups of their own, as the daemon
// does) and reports their pids and exits over IPC. Its one extra duty: when the launcher dies
// without a word (kill -9, a crash, the OOM killer) the IPC channel closes and the guard kills
// every job tree it started. Left running, such a job would finish unobserved while its lease
// expires and the daemon runs it again elsewhere: the work would be done twice.
import { DirectSpawner, type FromHelper, type SpawnRequest } from '../broker/spawner.js';
import { JOB_MARKER, scanStats, treeOf } from '../broker/proc-tree.js';

const direct = new DirectSpawner({ syncOpen: true });
const live = new Map<number, { pid: number; marker: string | undefined }>();
const send = (m: FromHelper) => {
  if (process.connected) process.send!(m);
};

process.on('message', ({ k, req }: { k: number; req: SpawnRequest }) => {
  direct.spawn(req, {
    spawned: (pid) => {
      live.set(k, { pid, marker: req.env[JOB_MARKER] });
      send({ k, t: 'spawned', pid });
    },
    failed: (message) => send({ k, t: 'failed', message }),
    exited: (code, signal) => {
      live.delete(k);
      send({ k, t: 'exited', code, signal });
    },
    lost: () => undefined,
  });
});

process.on('disconnect', () => {
  if (live.size > 0) {
    const stats = scanStats();
    for (const { pid, marker } of live.values()) {
      for (const s of treeOf({ pid, pgid: pid, ...(marker ? { marker } : {}) }, stats)) {
        try {
          process.kill(s.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
  }
  process.exit(0);
});
