// The one table of error codes shared by the daemon, the console and the launcher.
// Each code has its HTTP status; the message is written where the error is raised,
// saying what was expected and what came (execa's style of message).

export const ERROR_CODES = {
  bad_request: 400,
  bad_json: 400,
  bad_value: 400,
  unauthorized: 401,
  forbidden: 403,
  unknown_task: 404,
  unknown_worker: 404,
  unknown_job: 404,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  conflict: 409,
  /** A job id prefix that several jobs start with: the message lists them. */
  ambiguous_job: 409,
  gone: 410,
  too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** An error meant to be shown to the client (koa's "expose" idea): code + one-line message. */
export class BlError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'BlError';
    this.code = code;
    this.status = ERROR_CODES[code];
  }
}

export function isBlError(e: unknown): e is BlError {
  return e instanceof BlError;
}

/**
 * A value as a message shows it, in JSON's notation, which tells its type without a label:
 * `"abc"`, `-1`, `true`, `[1,2]`, `{"a":1}`, `null`; `nothing` when there is none.
 */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return truncate(JSON.stringify(value) ?? String(value));
}

/**
 * Text from a URL (a path segment, a query value), which has no type: shown as the user typed
 * it, a number bare (`-1`, `2.5`) and anything else quoted (`"x"`, `""`).
 */
export function describeText(raw: string | undefined): string {
  if (raw === undefined) return 'nothing';
  return truncate(NUMBER.test(raw) ? raw : JSON.stringify(raw));
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function truncate(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Control characters as JSON writes them (`\u001b`, `\r`): a text error quotes what a client
 * sent, and an escape sequence in it must not reach the terminal that shows the error.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
