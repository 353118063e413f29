// Why a task's last worker went, in one line for its card: the daemon's message and the line of
// the worker's last output that most likely says why. Pure: no DOM, so it is tested in Node.
import type { LastExitJson } from '../../contract/types.js';

/** Words of a line that says what went wrong ("Error: Cannot find module …", "ModuleNotFoundError: …"). */
const TELLING = /(error|exception)\b|\b(fatal|panic|traceback|cannot|can't|denied|not found|no such|refused|failed|invalid)\b/i;
/** Lines that never say why: stack frames, Node's version footer, lone brackets and carets. */
const NOISE = /^(at\s|Node\.js v\d|[{}[\]()]+[,;]?$|\^+$)/;
const SHOWN = 160;

/** The output line that says why: the last telling one, else the last one that is not noise. */
export function tellingLine(output: string[]): string | null {
  const lines = output.map((l) => l.trim()).filter((l) => l !== '' && !NOISE.test(l));
  const line = [...lines].reverse().find((l) => TELLING.test(l)) ?? lines.at(-1);
  if (line === undefined) return null;
  return line.length > SHOWN ? `${line.slice(0, SHOWN - 1)}…` : line;
}

/** `exited 1 — Error: Cannot find module '/srv/app.js'`; the message alone when no line says more. */
export function exitSummary(e: LastExitJson): string {
  const line = tellingLine(e.output);
  return line ? `${e.message} — ${line}` : e.message;
}
