// Lines of captured output, as bytes: what the capture writes for every read, so no line is
// decoded or copied more than the logs need.

/** `prefix` before each line of `lines` (whole lines: it ends with a newline). */
export function prefixLines(prefix: Buffer, lines: Buffer): Buffer {
  let n = 0;
  for (let i = lines.indexOf(0x0a); i >= 0; i = lines.indexOf(0x0a, i + 1)) n++;
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
