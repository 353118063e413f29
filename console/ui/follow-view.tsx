// `log … -f`: a job's or a task's output as it comes, until it ends (a job: then how it
// ended) or a key is pressed. Only the last screenful is drawn (a chatty job would make Ink
// redraw megabytes); what was shown goes to the scrollback when it ends.
import React, { useEffect, useRef, useState } from 'react';
import { Text, useStdout } from 'ink';
import { lastLines } from '../../contract/last-lines.js';
import type { Follow } from '../result.js';
import { LiveFrame } from './live-frame.js';

export interface FollowProps {
  follow: Follow;
  /** The command line, for the header. */
  line: string;
  /** `shown`: the last lines drawn; `why`: how it ended, for the scrollback; `left`: by a key. */
  onDone: (shown: string, why: string, left: boolean) => void;
}

const KEEP_CHARS = 64 * 1024;

/** The last `n` lines of `text` (a last line still being written counts). */
const lastScreenLines = (text: string, n: number): string => lastLines(text, n).join('\n');

export function FollowView({ follow, line, onDone }: FollowProps) {
  const { stdout } = useStdout();
  const rows = Math.max(3, (stdout.rows || 24) - 3);
  const [text, setText] = useState('');
  const buf = useRef('');
  const ctl = useRef(new AbortController());
  const finished = useRef(false);
  const finish = (why: string, left = false) => {
    if (finished.current) return;
    finished.current = true;
    ctl.current.abort();
    onDone(lastScreenLines(buf.current, rows), why, left);
  };
  useEffect(() => {
    follow.stream((chunk) => {
      buf.current = (buf.current + chunk).slice(-KEEP_CHARS);
      setText(buf.current);
    }, ctl.current.signal).then(
      (end) => finish(end || '--- the log ended'),
      (e: unknown) => finish(`ERROR: ${(e as Error).message}`),
    );
    return () => ctl.current.abort();
  }, [follow]);
  return (
    <LiveFrame title={`${line} · following`} onKey={() => finish(follow.leftNote, true)}>
      <Text>{lastScreenLines(text, rows)}</Text>
    </LiveFrame>
  );
}
