// The non-interactive front ends: `-c "a; b"`, stdin one command per line, and the one-shot
// flags. Output goes to stdout, `ERROR:` lines to stderr; the worst exit code wins.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { splitStatements } from './line-parser.js';
import type { OneShot } from './cli-flags.js';
import type { Follow } from './result.js';
import { EXIT, worse, type ExitCode, type Outcome, type Session } from './session.js';

export interface Streams {
  out: Writable;
  err: Writable;
}

export function print(o: Outcome, s: Streams): void {
  for (const l of o.lines) (l.err ? s.err : s.out).write(l.text + '\n');
}

/** Runs lines in order (a submit before a jobs), stopping at `quit`. */
export async function runLines(session: Session, lines: Iterable<string> | AsyncIterable<string>, s: Streams): Promise<{ code: ExitCode; ran: number }> {
  let code: ExitCode = EXIT.ok;
  let ran = 0;
  for await (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    ran++;
    const o = await session.run(line);
    print(o, s);
    code = worse(code, o.code);
    if (o.follow) code = worse(code, await follow(session, o.follow, s));
    if (o.quit) break;
  }
  return { code, ran };
}

/** log --follow outside the shell: the text as it comes, until the job ends (or CTRL+C). */
async function follow(session: Session, f: Follow, s: Streams): Promise<ExitCode> {
  try {
    await f((chunk) => s.out.write(chunk), new AbortController().signal);
    return EXIT.ok;
  } catch (e) {
    const [code, message] = session.describeError(e);
    s.err.write(`ERROR: ${message}\n`);
    return code;
  }
}

export function runStatements(session: Session, commands: string[], s: Streams): Promise<{ code: ExitCode; ran: number }> {
  return runLines(session, commands.flatMap(splitStatements), s);
}

export async function runStdin(session: Session, stdin: Readable, s: Streams): Promise<{ code: ExitCode; ran: number }> {
  const rl = createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
  return runLines(session, rl, s);
}

/**
 * BrokeredLauncher's flags. A destructive one asks y/N when `ask` is given (on a TTY and
 * without -y); a "no" skips it and says so.
 */
export async function runOneShots(session: Session, shots: OneShot[], s: Streams, ask?: (question: string) => boolean): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  for (const shot of shots) {
    if (shot.confirm && ask) {
      const where = session.hosts.map((h) => h.client.base).join(', ');
      if (!ask(`${shot.confirm} on ${where}? [y/N] `)) {
        s.err.write(`--${shot.flag}: not confirmed, nothing done\n`);
        continue;
      }
    }
    const r = await runLines(session, shot.lines, s);
    code = worse(code, r.code);
  }
  return code;
}
