// Lines of captured output, as bytes: what the capture writes for every read, so no line is
// decoded or copied more than the logs need.

/** `prefix` before each line of `lines` (whole lines: it ends with a newline). */
export function prefixLines(prefix: Buffer, lines: Buffer, n = countLines(lines)): Buffer {
  const out = Buffer.allocUnsafe(lines.length + n * prefix.length);
  let from = 0;
  let at = 0;
  while (from < lines.length) {
    const nl = lines.indexOf(0x0a, from);
    const end = nl < 0 ? lines.length : nl + 1;
    at += prefix.copy(out, at);
    at += lines.copy(out, at, from, end);
    from = end;
  }
  return out.subarray(0, at);
}

/** The last `n` lines of `lines` (whole lines), decoded, without their newline (nor a `\r` before it). */
export function lastLinesOf(lines: Buffer, n: number): string[] {
  const out: string[] = [];
  if (n <= 0 || lines.length === 0) return out;
  let end = lines[lines.length - 1] === 0x0a ? lines.length - 1 : lines.length;
  while (out.length < n) {
    // lastIndexOf with a negative offset would count from the end: the first line starts at 0.
    const nl = end === 0 ? -1 : lines.lastIndexOf(0x0a, end - 1);
    let stop = end;
    if (stop > nl + 1 && lines[stop - 1] === 0x0d) stop--;
    out.push(lines.toString('utf8', nl + 1, stop));
    if (nl < 0) break;
    end = nl;
  }
  return out.reverse();
}

/** Says what went wrong, as programs print it: `Error: Cannot find module 'x'`, `sh: x: not found`. */
const SAYS_WHAT_WENT_WRONG = /error|exception|panic|fatal|traceback|cannot|can't|could not|not found|denied|refused|no such|failed|abort|segmentation/i;
/** A frame of a stack trace (Node, Java, Python, Go): where, not what. */
const STACK_FRAME = /^\s+(at |File "|from )|^goroutine \d|^\s+\S+\.go:\d/;

/**
 * The last line among the last `window` lines of `lines` that says what went wrong, and how
 * many lines come after it; undefined when none does.
 */
export function lastErrorLine(lines: Buffer, window: number): { text: string; after: number } | undefined {
  if (lines.length === 0) return undefined;
  let end = lines[lines.length - 1] === 0x0a ? lines.length - 1 : lines.length;
  for (let after = 0; after < window; after++) {
    const nl = end === 0 ? -1 : lines.lastIndexOf(0x0a, end - 1);
    const text = lines.toString('utf8', nl + 1, end).trimEnd();
    if (SAYS_WHAT_WENT_WRONG.test(text) && !STACK_FRAME.test(text)) return { text: text.trim(), after };
    if (nl < 0) break;
    end = nl;
  }
  return undefined;
}

/** How many newlines `buf` holds. */
export function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}
