// The prompt line: `> ` then the text with the cursor drawn as an inverse cell, the
// candidates a second Tab listed (one a line with their notes: a job's state and command),
// and the hint after one Ctrl-C on an empty line.
import React from 'react';
import { Box, Text, useStdout } from 'ink';
import type { ListedCandidate, PromptState } from '../prompt-reducer.js';

function Listing({ items }: { items: readonly ListedCandidate[] }) {
  const { stdout } = useStdout();
  if (!items.some((i) => i.note)) return <Text color="cyan">{items.map((i) => i.value).join('  ')}</Text>;
  // Under the prompt, above the status line: leave the screen's top to the scrollback.
  const room = Math.max(3, Math.min(20, (stdout.rows || 24) - 6));
  const shown = items.length > room ? items.slice(0, room - 1) : items;
  const w = Math.max(...shown.map((i) => i.value.length));
  return (
    <Box flexDirection="column">
      {shown.map((i) => (
        <Text key={i.value} wrap="truncate-end">
          <Text color="cyan">{i.value.padEnd(w)}</Text>
          <Text dimColor>{i.note ? `  ${i.note}` : ''}</Text>
        </Text>
      ))}
      {shown.length < items.length ? <Text dimColor>… {items.length - shown.length} more: type more of it to narrow</Text> : null}
    </Box>
  );
}

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
      {state.listing ? <Listing items={state.listing} /> : null}
      {state.armedExit ? <Text dimColor>(Ctrl-C again or Ctrl-D to leave)</Text> : null}
    </Box>
  );
}
