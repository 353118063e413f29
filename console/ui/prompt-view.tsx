// The prompt line: `> ` then the text with the cursor drawn as an inverse cell, the
// candidates a second Tab listed, and the hint after one Ctrl-C on an empty line.
import React from 'react';
import { Box, Text } from 'ink';
import type { PromptState } from '../prompt-reducer.js';

export function PromptView({ state, busy }: { state: PromptState; busy: boolean }) {
  const { value, cursor } = state;
  // The character under the cursor, whole even when it is two UTF-16 units (emoji).
  const cp = value.codePointAt(cursor);
  const at = cp === undefined ? ' ' : String.fromCodePoint(cp);
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={busy ? 'gray' : undefined}>{'> '}</Text>
        {value.slice(0, cursor)}
        <Text inverse>{at}</Text>
        {value.slice(cursor + (cp === undefined ? 1 : at.length))}
      </Text>
      {state.listing ? <Text color="cyan">{state.listing.join('  ')}</Text> : null}
      {state.armedExit ? <Text dimColor>(Ctrl-C again or Ctrl-D to leave)</Text> : null}
    </Box>
  );
}
