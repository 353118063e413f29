// What a command returns: data the front ends render (gemini-cli's commands return data,
// the UI draws it). The text renderer and the Ink view share render-text.ts.

/**
 * A cell may name a state so the renderer can colour it, and offer a shorter text for a
 * terminal too narrow for the long one (a job's id: the 8-character suffix every route takes).
 */
export type Cell = string | { text: string; tone?: Tone; short?: string };

/** Colours by meaning, not by name: running/succeeded are good, pending waits, failures are bad. */
export type Tone = 'good' | 'wait' | 'bad' | 'dim' | 'plain' | 'accent';

export type Block =
  | { kind: 'text'; text: string; tone?: Tone }
  /** `flex`: the column cut (with …) to fit the terminal's width; the others keep theirs. */
  | { kind: 'table'; headers: string[]; rows: Cell[][]; flex?: number }
  | { kind: 'pairs'; pairs: [string, Cell][] };

export interface CommandResult {
  blocks: Block[];
  /** What `--json` prints. */
  json?: unknown;
  /** The front end should leave after this (quit). */
  quit?: boolean;
  /** The front end should open the live view (watch). */
  watch?: boolean;
  /** Text that keeps coming (log --follow): the front end shows it until it ends or the user leaves. */
  follow?: Follow;
}

/** Text that keeps coming (a followed log). */
export interface Follow {
  /**
   * Streams text to `onText` until the source ends, then resolves with a line saying how it
   * ended (`--- job 01… succeeded (exit 0)`); when `signal` aborts, with ''.
   */
  stream(onText: (chunk: string) => void, signal: AbortSignal): Promise<string>;
  /** What is said when the user leaves it (`left; the job runs on`). */
  leftNote: string;
}

export const text = (t: string, tone?: Tone): Block => ({ kind: 'text', text: t, tone });

/** The tone of a task or job state. */
export function stateTone(state: string): Tone {
  switch (state) {
    case 'running':
    case 'succeeded':
    case 'true':
      return 'good';
    case 'pending':
    case 'waiting':
    case 'backoff':
    case 'stopping':
    case 'ending':
      return 'wait';
    case 'failed':
    case 'timed_out':
    case 'dead':
    case 'oom':
    case 'lost':
    case 'flapping':
    case 'stalled':
      return 'bad';
    case 'cancelled':
    case 'stopped':
    case 'ended':
    case 'false':
      return 'dim';
    default:
      return 'plain';
  }
}

export const stateCell = (state: string): Cell => ({ text: state, tone: stateTone(state) });
