// `watch`: tasks and jobs of every host, redrawn at each poll, until a key is pressed.
import React, { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import { renderBlock } from '../render-text.js';
import { snapshotBlocks, type Snapshot } from '../snapshot.js';
import { LiveFrame } from './live-frame.js';

export interface WatchProps {
  hosts: () => string[];
  look: () => Promise<Snapshot[]>;
  pollMs: number;
  onDone: () => void;
}

export function WatchView({ hosts, look, pollMs, onDone }: WatchProps) {
  const [snaps, setSnaps] = useState<Snapshot[] | null>(null);
  useEffect(() => {
    let live = true;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const s = await look().catch(() => null);
      if (!live) return;
      if (s) setSnaps(s);
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
          <Text>{snapshotBlocks(s).flatMap((b) => renderBlock(b, true)).join('\n')}</Text>
        </Box>
      ))}
    </LiveFrame>
  );
}
