// What `watch` and `log -f` share: a cyan header ending in "press any key to leave" above
// the view, and any key leaves.
import React, { type ReactNode } from 'react';
import { Box, Text, useInput } from 'ink';

export function LiveFrame({ title, onKey, children }: { title: string; onKey: () => void; children: ReactNode }) {
  useInput(() => onKey());
  return (
    <Box flexDirection="column">
      <Text color="cyan">{title} · press any key to leave</Text>
      {children}
    </Box>
  );
}
