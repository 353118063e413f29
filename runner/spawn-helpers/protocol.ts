// The one protocol between a parent (HelperSpawner, in the daemon or in bl-launcher) and its
// spawn helpers, spawn-helper.py and node-helper.ts. Both implement all of it and behave the
// same; test/runner/spawn-helpers/ runs every case against both.
//
// Node's IPC channel in 'json' mode: one JSON object a line on NODE_CHANNEL_FD.
//
// parent → helper
//   {k: 0, env, onEof}       first: the environment jobs inherit (a job's own variables come
//                            on top), and what the helper does with running jobs when the
//                            channel closes (the parent died or let it go):
//                            'leave': they run on, in sessions of their own (the daemon: a
//                            restarted daemon finds them by their BL_JOB_ID);
//                            'kill': SIGKILL to each job's tree (bl-launcher: a job whose
//                            launcher died would finish unobserved while the daemon runs it
//                            again elsewhere);
//                            'keep': they run on and the helper stays, their keeper: it waits
//                            on them, writes the end of each whose request named an `endFile`
//                            there (end-file.ts: tmp + rename), and exits when none is left
//                            (the daemon: the next one reads the ends, no job runs twice).
//                            The ends it reported in its last RECENT_ENDS_S are written too:
//                            the parent may have died before it recorded them.
//   {k: n, req}              start a job (runner/spawner.ts SpawnRequest)
//   {k: 0, batch: [msg...]}  the messages above, in order: what one turn of the parent's event
//                            loop posted, in one write (one wake-up of the helper)
// helper → parent
//   {k: 0, t: 'ready'}       after start-up, before any report
//   {k, t: 'spawned', pid} | {k, t: 'failed', message}
//   {k, t: 'exited', code, signal, left, at}   left: its group still had processes when it
//                            was reaped; at: when it was reaped (epoch ms)
//
// A job runs in a session (and process group) of its own, stdin /dev/null, stdout and stderr
// appended to its log, every signal at its default. A bare program name is looked up in the
// job's own PATH. A request's `tries` are tried in turn until one spawns.
//
// Logs: a job's log is on disk under its name once the job has run LOG_NAMED_AFTER_MS, or once
// it has ended having written something (or leaving processes in its group, which may write);
// a job that ended silent sooner leaves no file, and the daemon serves a missing log as empty.
// Creating a named file is the dearest step of a short job (the directory insert); the Python
// helper creates the log unnamed (O_TMPFILE) and links it then, the Node helper (which cannot
// link an unnamed file) creates it by name and removes it at a silent early end. An earlier
// attempt's log is appended to by name.
import type { SpawnRequest } from '../spawner.js';

export type OnEof = 'leave' | 'kill' | 'keep';

/** spawn-helper.py RECENT_S and node-helper.ts: how far back a keeper writes ends it reported. */
export const RECENT_ENDS_S = 30;

export const LOG_NAMED_AFTER_MS = 200;

export type ToHelper = { k: number; req: SpawnRequest } | { k: 0; env: Record<string, string>; onEof: OnEof } | { k: 0; batch: ToHelper[] };

export type FromHelper =
  | { k: 0; t: 'ready' }
  | { k: number; t: 'spawned'; pid: number }
  | { k: number; t: 'failed'; message: string }
  | { k: number; t: 'exited'; code: number | null; signal: string | null; left: boolean; at: number };
