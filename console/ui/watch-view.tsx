// `watch`: tasks and jobs of every host, redrawn at each poll, until a key is pressed. Times
// ("12s ago") tick every second between looks; tables fit the terminal's width.
import React, { useEffect, useState } from 'react';
import { Box, Text, useStdout } from 'ink';
import { renderBlock } from '../render-text.js';
import { snapshotBlocks, type Snapshot } from '../snapshot.js';
import { LiveFrame } from './live-frame.js';

export interface WatchProps {
  hosts: () => string[];
  look: () => Promise<Snapshot[]>;
  pollMs: number;
  onDone: () => void;
}

/** How often the relative times are redrawn. */
const TICK_MS = 1000;

export function WatchView({ hosts, look, pollMs, onDone }: WatchProps) {
  const [snaps, setSnaps] = useState<Snapshot[] | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const { stdout } = useStdout();
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    let live = true;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const s = await look().catch(() => null);
      if (!live) return;
      if (s) {
        setSnaps(s);
        setNow(Date.now());
      }
      timer = setTimeout(tick, pollMs);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [look, pollMs]);
  const labels = hosts();
  return (
    <LiveFrame title={`watch · every ${Math.round(pollMs / 100) / 10}s`} onKey={onDone}>
      {snaps === null ? <Text dimColor>loading…</Text> : null}
      {(snaps ?? []).map((s, i) => (
        <Box key={i} flexDirection="column" marginTop={1}>
          {labels.length > 1 ? <Text color="cyan">── {labels[i]}</Text> : null}
          <Text>{snapshotBlocks(s, now).flatMap((b) => renderBlock(b, true, stdout.columns || undefined)).join('\n')}</Text>
        </Box>
      ))}
    </LiveFrame>
  );
}
