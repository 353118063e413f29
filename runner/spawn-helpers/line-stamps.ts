// The pure parts of a piped job log (log-pipe.ts; spawn-helper.py's LogPipe does the same): each
// line stamped with the time it was read (the stamp task logs use too, output-capture.ts), and
// where a write is cut for a rotation.

/** A line's stamp, as task logs start their lines: ISO 8601 with milliseconds, UTC, a space. */
export const stampText = (ms: number): string => `${new Date(ms).toISOString()} `;

/**
 * `data` with `ts` before each line that starts in it; `atLineStart`: the data before it ended
 * a line. Returns the stamped bytes and whether this data ended a line.
 */
export function stampLines(data: Buffer, ts: Buffer, atLineStart: boolean): { out: Buffer; atLineStart: boolean } {
  if (data.length === 0) return { out: data, atLineStart };
  const parts: Buffer[] = [];
  let from = 0;
  if (atLineStart) parts.push(ts);
  for (let nl = data.indexOf(0x0a); nl >= 0 && nl < data.length - 1; nl = data.indexOf(0x0a, from)) {
    parts.push(data.subarray(from, nl + 1), ts);
    from = nl + 1;
  }
  parts.push(data.subarray(from));
  return { out: Buffer.concat(parts), atLineStart: data[data.length - 1] === 0x0a };
}

/**
 * How much of `data` goes to the file being written before a rotation: a file is rotated at
 * the first line end at or past `maxBytes`; a line that runs `slack` bytes past it is cut there.
 * `rotate`: rotate after writing `write` bytes.
 */
export function rotationCut(size: number, maxBytes: number | null, data: Buffer, slack: number): { write: number; rotate: boolean } {
  if (maxBytes === null) return { write: data.length, rotate: false };
  const need = maxBytes - size;
  if (data.length < need) return { write: data.length, rotate: false };
  const nl = data.indexOf(0x0a, Math.max(need - 1, 0));
  if (nl >= 0) return { write: nl + 1, rotate: true };
  return { write: data.length, rotate: size + data.length >= maxBytes + slack };
}
