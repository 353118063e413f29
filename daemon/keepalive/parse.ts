// The seed's keep-alive wire format: a 2-frame ZeroMQ message [taskname, json], the JSON
// holding `pid` and `taskname` with keys in any case (its Go workers send `Pid`/`TaskName`).
// Pure: frames in, a keep-alive or the reason it was dropped out.

export interface Keepalive {
  task: string;
  pid: number;
  status: string | undefined;
  info: string | undefined;
}

export type ParseResult = { ok: true; value: Keepalive } | { ok: false; reason: string };

const MAX_INFO = 200;

/** Looks a key up ignoring case (`Pid`, `PID`, `pid`). */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  for (const k of Object.keys(obj)) if (k.toLowerCase() === name) return obj[k];
  return undefined;
}

export function parseKeepalive(frames: readonly (Buffer | string)[]): ParseResult {
  if (frames.length === 0 || frames.length > 3) return { ok: false, reason: `expected 2 frames [taskname, json], got ${frames.length}` };
  const topic = frames.length > 1 ? frames[0]!.toString() : undefined;
  const body = frames[frames.length - 1]!.toString();
  if (body.length > 64 * 1024) return { ok: false, reason: 'keep-alive body over 64 KiB' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'keep-alive body is not JSON' };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { ok: false, reason: 'keep-alive JSON is not an object' };
  const o = json as Record<string, unknown>;
  const rawPid = field(o, 'pid');
  const pid = typeof rawPid === 'string' && /^\d+$/.test(rawPid) ? Number(rawPid) : rawPid;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) return { ok: false, reason: `expected an integer pid > 1, got ${JSON.stringify(rawPid)}` };
  const rawTask = field(o, 'taskname') ?? topic;
  if (typeof rawTask !== 'string' || rawTask === '') return { ok: false, reason: 'no task name (neither a taskname key nor a topic frame)' };
  const status = field(o, 'status');
  const info = field(o, 'info');
  return {
    ok: true,
    value: {
      task: rawTask,
      pid,
      status: typeof status === 'string' ? status.toLowerCase() : undefined,
      info: typeof info === 'string' ? info.slice(0, MAX_INFO) : info === undefined ? undefined : JSON.stringify(info).slice(0, MAX_INFO),
    },
  };
}
