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
//                            restarted daemon finds them by their BL_JOB_RUN);
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
// appended to its log, every signal at its default. A request with `output` (LogOutput) gives
// the job a pipe instead, which the helper copies into the log (rotated at maxBytes into
// <log>.1 … <log>.<keep>, lines stamped with `timestamps`); what the job wrote is in the log
// before its `exited`, and the helper stays while such pipes are open and their jobs run,
// whatever `onEof` says. A bare program name is looked up in the
// job's own PATH. A request's `tries` are tried in turn until one spawns.
//
// Logs: a job's log is on disk under its name once the job has run LOG_NAMED_AFTER_MS, or once
// it has ended having written something (or leaving processes in its group, which may write);
// a job that ended silent sooner leaves no file, and the daemon serves a missing log as empty.
// Creating a named file is the dearest step of a short job (the directory insert); the Python
// helper creates the log unnamed (O_TMPFILE) and links it then, the Node helper (which cannot
// link an unnamed file) creates it by name and removes it at a silent early end. An earlier
// attempt's log is appended to by name; every log is open for append, named or not.
//
// A request a helper cannot carry out is that job's `failed`, never the helper's end: what
// execve cannot take (requestProblem: a NUL byte, an environment name that is empty or holds
// `=`) is refused before anything starts, and anything else a request breaks is caught and
// told as its failure. The daemon refuses such jobs at submit already
// (daemon/broker/submit/spawnable.ts); this is for whatever reaches a helper anyway.
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

/** Why execve could not take this request; undefined: it can (spawn-helper.py says it alike). */
export function requestProblem(req: SpawnRequest): string | undefined {
  for (const t of req.tries) {
    const words = [t.file, ...t.args];
    const i = words.findIndex((w) => w.includes('\0'));
    if (i >= 0) return `argument ${i} of ${JSON.stringify(t.file)} holds a NUL byte`;
  }
  if (req.cwd.includes('\0')) return 'the working directory holds a NUL byte';
  for (const [name, value] of Object.entries(req.env)) {
    if (name === '' || name.includes('=') || name.includes('\0')) return `the environment variable name ${JSON.stringify(name)} is empty or holds = or a NUL byte`;
    if (value.includes('\0')) return `the environment variable ${name} holds a NUL byte`;
  }
  return undefined;
}
