// What a command returns: data the front ends render (gemini-cli's commands return data,
// the UI draws it). The text renderer and the Ink view share render-text.ts.

/** A cell may name a state so the renderer can colour it. */
export type Cell = string | { text: string; tone: Tone };

/** Colours by meaning, not by name: running/succeeded are good, pending waits, failures are bad. */
export type Tone = 'good' | 'wait' | 'bad' | 'dim' | 'plain' | 'accent';

export type Block =
  | { kind: 'text'; text: string; tone?: Tone }
  | { kind: 'table'; headers: string[]; rows: Cell[][] }
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

/** Streams text to `onText` until the source ends or `signal` aborts. */
export type Follow = (onText: (chunk: string) => void, signal: AbortSignal) => Promise<void>;

export const text = (t: string, tone?: Tone): Block => ({ kind: 'text', text: t, tone });

/** The tone of a task or job state. */
export function stateTone(state: string): Tone {
  switch (state) {
    case 'running':
    case 'succeeded':
    case 'true':
      return 'good';
    case 'pending':
    case 'backoff':
    case 'stopping':
      return 'wait';
    case 'failed':
    case 'timed_out':
    case 'dead':
    case 'lost':
    case 'flapping':
    case 'stalled':
      return 'bad';
    case 'cancelled':
    case 'stopped':
    case 'false':
      return 'dim';
    default:
      return 'plain';
  }
}

export const stateCell = (state: string): Cell => ({ text: state, tone: stateTone(state) });
