// The interactive shell: scrollback (Ink's Static) above, the prompt and the live status
// line below. Keys go through the pure mapping and reducer, one at a time in arrival order:
// a key typed while a command runs or a completion is fetched waits its turn, so typing
// ahead (`set Ta⇥ cardinality 3⏎`) does what it would do slowly.
import React, { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Box, Static, Text, useApp, useInput } from 'ink';
import type { Completion } from '../completion.js';
import { isBurst, keyToIntent, splitBurst, type KeyInfo } from '../prompt-keys.js';
import { initialPrompt, promptReducer, type PromptAction, type PromptState } from '../prompt-reducer.js';
import type { Outcome } from '../session.js';
import type { Snapshot } from '../snapshot.js';
import { PromptView } from './prompt-view.js';
import { StatusLine, type HostStatus } from './status-line.js';
import { WatchView } from './watch-view.js';
import { FollowView } from './follow-view.js';
import type { Follow } from '../result.js';

/** What the app needs of a session (console/session.ts is the real one). */
export interface ShellSession {
  run(line: string): Promise<Outcome>;
  complete(line: string, cursor: number): Promise<Completion>;
  hostLabels(): string[];
  look(withJobs: boolean): Promise<Snapshot[]>;
}

export interface AppProps {
  session: ShellSession;
  /** A look already in hand for the very first frame. */
  initialLook?: Snapshot[];
  /** The status line's first look, if already asked for. */
  firstLook?: Promise<Snapshot[]>;
  /** History that arrives after the first frame (conf loads lazily). */
  historyLater?: Promise<readonly string[]>;
  /** Each submitted line, to keep it for the next run. */
  onLine?: (line: string) => void;
  pollMs?: number;
  /** Called as the app leaves (Ctrl-D, Ctrl-C twice, quit). */
  onExit?: () => void;
}

interface Entry {
  id: number;
  text: string;
}

type KeyEvent = { input: string; key: KeyInfo };

/** The live view open in place of the prompt: `watch`, or a followed log (`log … -f`). */
type LiveView = { kind: 'watch' } | { kind: 'follow'; follow: Follow; line: string };

export function App({ session, initialLook, firstLook, historyLater, onLine, pollMs = 1000, onExit }: AppProps) {
  const app = useApp();
  // Leaving waits for one more commit so the last scrollback line (`> quit`) is drawn.
  const [leaving, setLeaving] = useState(false);
  const exit = () => setLeaving(true);
  useEffect(() => {
    if (!leaving) return;
    onExit?.();
    app.exit();
  }, [leaving]);
  // The prompt lives in a ref so the key loop always sees the latest state; `bump` redraws.
  const prompt = useRef<PromptState>(initialPrompt());
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const [scroll, setScroll] = useState<Entry[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  const [liveView, setLiveView] = useState<LiveView | null>(null);
  const [hosts, setHosts] = useState<HostStatus[]>(() => session.hostLabels().map((label, i) => ({ label, snapshot: initialLook?.[i] })));
  const nextId = useRef(0);
  const queue = useRef<KeyEvent[]>([]);
  const pumping = useRef(false);
  // A live view is open; the key loop reads it between keys (the state shows only at the next render).
  const liveRef = useRef(false);
  const stopWaiting = useRef<(() => void) | undefined>(undefined);

  const apply = useCallback((a: PromptAction) => {
    prompt.current = promptReducer(prompt.current, a);
    bump();
  }, []);
  const say = useCallback((text: string) => setScroll((s) => [...s, { id: nextId.current++, text }]), []);

  useEffect(() => {
    let live = true;
    historyLater?.then((lines) => live && apply({ type: 'history-load', lines }), () => undefined);
    return () => {
      live = false;
    };
  }, [historyLater, apply]);

  // The status line: one look per host about every second, never two at once. Paused while
  // a live view is open (the status line is hidden and `watch` looks for itself).
  const first = useRef(firstLook);
  const paused = liveView !== null;
  useEffect(() => {
    if (paused) return;
    let live = true;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const labels = session.hostLabels();
      const snaps = await (first.current ?? session.look(false)).catch(() => undefined);
      first.current = undefined;
      if (!live) return;
      setHosts(labels.map((label, i) => ({ label, snapshot: snaps?.[i] })));
      timer = setTimeout(tick, pollMs);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [session, pollMs, paused]);

  const runLine = async (line: string) => {
    apply({ type: 'submit' });
    say(`\u001b[2m>\u001b[22m ${line}`);
    if (line.trim() === '') return;
    onLine?.(line);
    setBusy(line.trim());
    // Ctrl-C gives the prompt back without waiting (a daemon that does not answer).
    const interrupted = new Promise<'interrupted'>((resolve) => (stopWaiting.current = () => resolve('interrupted')));
    const o = await Promise.race([session.run(line), interrupted]);
    stopWaiting.current = undefined;
    setBusy(null);
    if (o === 'interrupted') {
      say('\u001b[33m^C (not waiting for the answer; the daemon may still act on it)\u001b[39m');
      return;
    }
    const text = o.lines.map((l) => (l.err ? `\u001b[31m${l.text}\u001b[39m` : l.text)).join('\n');
    // `watch` prints its first look only where there is no live view (pipes, -c).
    if (text && !(o.watch && o.code === 0)) say(text);
    if (o.quit) exit();
    else if (o.watch) openLive({ kind: 'watch' });
    else if (o.follow) openLive({ kind: 'follow', follow: o.follow, line: line.trim() });
  };

  const handle = async ({ input, key }: KeyEvent) => {
    const s = prompt.current;
    const intent = keyToIntent(input, key, s.value === '');
    switch (intent.kind) {
      case 'edit':
        // ↑ pressed before the history file is read waits for it (a few ms at most).
        if (intent.action.type === 'history-up') await historyLater?.catch(() => undefined);
        return apply(intent.action);
      case 'submit':
        return runLine(s.value);
      case 'complete': {
        const from = { value: s.value, cursor: s.cursor };
        const result = await session.complete(from.value, from.cursor);
        return apply({ type: 'complete', from, result });
      }
      case 'interrupt':
        if (s.armedExit) return exit();
        return apply({ type: 'interrupt' });
      case 'eof':
        return exit();
      case 'none':
        return;
    }
  };

  const pump = async () => {
    if (pumping.current) return;
    pumping.current = true;
    try {
      // Keys that arrive while `watch` or a follow opens belong to it, not to the prompt.
      while (queue.current.length && !liveRef.current) await handle(queue.current.shift()!);
    } finally {
      pumping.current = false;
    }
  };

  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c' && stopWaiting.current) return stopWaiting.current();
      queue.current.push(...(isBurst(input) ? splitBurst(input) : [{ input, key }]));
      void pump();
    },
    { isActive: !liveView },
  );

  const watchHosts = useCallback(() => session.hostLabels(), [session]);
  const watchLook = useCallback(() => session.look(true), [session]);
  const openLive = (view: LiveView) => {
    liveRef.current = true;
    setLiveView(view);
  };
  const leaveLive = () => {
    liveRef.current = false;
    queue.current = [];
    setLiveView(null);
  };
  // A followed log leaves its last screenful and how it ended in the scrollback.
  const followEnded = (shown: string, why: string, left: boolean) => {
    if (shown) say(shown);
    say(why.startsWith('ERROR:') ? `\u001b[31m${why}\u001b[39m` : left ? `\u001b[2m(${why})\u001b[22m` : why);
    leaveLive();
  };

  return (
    <>
      <Static items={scroll}>{(e) => <Text key={e.id}>{e.text}</Text>}</Static>
      {liveView?.kind === 'watch' ? (
        <WatchView hosts={watchHosts} look={watchLook} pollMs={pollMs} onDone={leaveLive} />
      ) : liveView?.kind === 'follow' ? (
        <FollowView follow={liveView.follow} line={liveView.line} onDone={followEnded} />
      ) : (
        <Box flexDirection="column">
          <PromptView state={prompt.current} busy={busy !== null} />
          <StatusLine hosts={hosts} busy={busy} />
        </Box>
      )}
    </>
  );
}
