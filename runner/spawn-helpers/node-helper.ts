// The spawner process (see helper-spawner.ts): starts the jobs the daemon sends over IPC and
// reports pids and exits. It exits when the daemon goes; the jobs, in groups of their own, do
// not (a restarted daemon finds them by their marker).
import { serveSpawns } from './helper-spawner.js';

serveSpawns();
process.on('disconnect', () => process.exit(0));
