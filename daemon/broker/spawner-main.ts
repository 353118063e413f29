// The spawner process (see spawner.ts): starts the jobs the daemon sends over IPC and reports
// pids and exits. It exits when the daemon goes; the jobs, in groups of their own, do not
// (a restarted daemon finds them by their marker).
import { DirectSpawner, type FromHelper, type SpawnRequest } from './spawner.js';

const direct = new DirectSpawner({ syncOpen: true });
const send = (m: FromHelper) => {
  if (process.connected) process.send!(m);
};

process.on('message', ({ k, req }: { k: number; req: SpawnRequest }) => {
  direct.spawn(req, {
    spawned: (pid) => send({ k, t: 'spawned', pid }),
    failed: (message) => send({ k, t: 'failed', message }),
    exited: (code, signal) => send({ k, t: 'exited', code, signal }),
    lost: () => undefined,
  });
});
process.on('disconnect', () => process.exit(0));
