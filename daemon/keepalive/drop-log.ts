// What the daemon's log says about dropped keep-alives, pure: a flood of bad frames (a faulty
// worker, a port scan) must not become a flood of log lines. The first drop of a quiet spell is
// told at once; the drops after it within WINDOW_MS are counted and told as one summary when
// the window ends ("12 keep-alives dropped in the last 10 s: …"), the most common reason first.

export const DROP_LOG_WINDOW_MS = 10_000;

export interface DropLogState {
  /** The open window's start; null: no drop since the last summary. */
  since: number | null;
  /** Drops counted in the open window (not yet told), by reason. */
  reasons: Map<string, number>;
}

export const emptyDropLog = (): DropLogState => ({ since: null, reasons: new Map() });

export interface DropLogStep {
  state: DropLogState;
  /** A line for the log, when one is due. */
  line?: string;
  /** When `summarise` should be called (the window's end), when a summary is pending. */
  summaryAt?: number;
}

/** Reasons are cut: a reason may quote what came, and what came may be long. */
const cut = (reason: string) => (reason.length > 120 ? `${reason.slice(0, 117)}...` : reason);

/** One keep-alive dropped for `reason` at `now`. */
export function noteDrop(s: DropLogState, reason: string, now: number): DropLogStep {
  if (s.since === null || now - s.since >= DROP_LOG_WINDOW_MS) {
    // A quiet spell (or a window whose summary is overdue): its summary first, then this drop.
    const prior = summarise(s, now);
    const state: DropLogState = { since: now, reasons: new Map() };
    const line = `keep-alive dropped: ${cut(reason)}`;
    return { state, line: prior.line ? `${prior.line}\n${line}` : line, summaryAt: now + DROP_LOG_WINDOW_MS };
  }
  const reasons = new Map(s.reasons);
  reasons.set(cut(reason), (reasons.get(cut(reason)) ?? 0) + 1);
  return { state: { since: s.since, reasons }, summaryAt: s.since + DROP_LOG_WINDOW_MS };
}

/** The window's end: the summary of the drops counted in it, if any. */
export function summarise(s: DropLogState, now: number): DropLogStep {
  const total = [...s.reasons.values()].reduce((a, b) => a + b, 0);
  if (s.since === null || total === 0) return { state: emptyDropLog() };
  const secs = Math.max(1, Math.round((now - s.since) / 1000));
  const parts = [...s.reasons].sort((a, b) => b[1] - a[1]);
  const shown = parts.slice(0, 3).map(([r, n]) => (parts.length === 1 ? r : `${r} (${n})`));
  const more = parts.length > 3 ? `; and ${parts.length - 3} other reason${parts.length === 4 ? '' : 's'}` : '';
  const line = `${total} more keep-alive${total === 1 ? '' : 's'} dropped in the last ${secs} s: ${shown.join('; ')}${more}`;
  // The window stays open: a drop right after a summary is counted, not told alone.
  return { state: { since: now, reasons: new Map() }, line };
}
