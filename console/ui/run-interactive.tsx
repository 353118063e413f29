// Starts the Ink app on the terminal. History (conf) loads after the first frame.
import React from 'react';
import { render } from 'ink';
import { openHistory, type HistoryStore } from '../history.js';
import type { InstantPrompt } from '../instant-prompt.js';
import type { ExitCode, Session } from '../session.js';
import type { Snapshot } from '../snapshot.js';
import { App } from './app.js';

export interface InteractiveOptions {
  session: Session;
  /** Where conf keeps history and hosts (tests: a temp dir). */
  configDir?: string;
  early?: InstantPrompt;
  /** The status line's first look, asked for before Ink was loaded. */
  firstLook?: Promise<Snapshot[]>;
}

export async function runInteractive({ session, configDir, early, firstLook }: InteractiveOptions): Promise<ExitCode> {
  let store: HistoryStore | undefined;
  // The history file is read once the first frame and status line are drawn (conf's import
  // costs ~90 ms); ↑ pressed sooner waits for it.
  const drawn = (firstLook ?? Promise.resolve()).catch(() => undefined);
  const loading = drawn.then(() => new Promise<HistoryStore>((resolve, reject) => setImmediate(() => openHistory(configDir).then(resolve, reject))));
  const historyLater = loading.then((s) => {
    store = s;
    s.addHosts(session.hostLabels());
    session.rememberHosts(s.hosts());
    return s.lines();
  });
  session.opts.onConnect = (hosts) => store?.addHosts(hosts);
  // The first look usually came back while Ink loaded: draw the first frame with it.
  const ready = firstLook ? await Promise.race([firstLook.catch(() => undefined), new Promise<undefined>((r) => setImmediate(() => r(undefined)))]) : undefined;
  early?.handOver();
  const app = render(<App session={session} firstLook={firstLook} initialLook={ready} historyLater={historyLater} onLine={(l) => store?.add(l)} />, {
    exitOnCtrlC: false,
    patchConsole: false,
  });
  await app.waitUntilExit();
  return 0;
}
