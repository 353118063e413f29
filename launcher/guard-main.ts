// bl-launcher's job guard: starts the launcher's jobs (in groups of their own, as the daemon
// does) and reports their pids and exits over IPC. Its one extra duty: when the launcher dies
// without a word (kill -9, a crash, the OOM killer) the IPC channel closes and the guard kills
// every job tree it started. Left running, such a job would finish unobserved while its lease
// expires and the daemon runs it again elsewhere: the work would be done twice.
import { serveSpawns } from '../runner/spawn-helpers/helper-spawner.js';
import { JOB_MARKER, sigkillTree } from '../proc/job-tree.js';
import { scanStats } from '../proc/stat.js';

const live = new Map<number, { pid: number; marker: string | undefined }>();

serveSpawns({
  spawned: (k, pid, req) => live.set(k, { pid, marker: req.env[JOB_MARKER] }),
  exited: (k) => live.delete(k),
});

process.on('disconnect', () => {
  if (live.size > 0) {
    const stats = scanStats();
    for (const { pid, marker } of live.values()) sigkillTree({ pid, pgid: pid, ...(marker ? { marker } : {}) }, stats);
  }
  process.exit(0);
});
