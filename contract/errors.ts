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

/** Describes a value for messages: `"abc" (string)`, `-1 (number)`. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `${truncate(JSON.stringify(value))} (array)`;
  if (typeof value === 'object') return `${truncate(JSON.stringify(value))} (object)`;
  return `${truncate(JSON.stringify(value))} (${typeof value})`;
}

function truncate(s: string | undefined, max = 60): string {
  if (s === undefined) return String(s);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
