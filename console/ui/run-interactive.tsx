// Starts the Ink app on the terminal. History (conf) loads after the first frame.
import React from 'react';
import { render } from 'ink';
import { openHistory, type HistoryStore } from '../history.js';
import type { InstantPrompt } from '../instant-prompt.js';
import type { ExitCode, Session } from '../session.js';
import { App } from './app.js';

export interface InteractiveOptions {
  session: Session;
  /** Where conf keeps history and hosts (tests: a temp dir). */
  configDir?: string;
  early?: InstantPrompt;
}

export async function runInteractive({ session, configDir, early }: InteractiveOptions): Promise<ExitCode> {
  let store: HistoryStore | undefined;
  const loading = new Promise<HistoryStore>((resolve, reject) => setImmediate(() => openHistory(configDir).then(resolve, reject)));
  const historyLater = loading.then((s) => {
    store = s;
    s.addHosts(session.hostLabels());
    session.rememberHosts(s.hosts());
    return s.lines();
  });
  session.opts.onConnect = (hosts) => store?.addHosts(hosts);
  early?.handOver();
  const app = render(<App session={session} historyLater={historyLater} onLine={(l) => store?.add(l)} />, {
    exitOnCtrlC: false,
    patchConsole: false,
  });
  await app.waitUntilExit();
  return 0;
}
