// The non-interactive front ends: `-c "a; b"`, stdin one command per line, and the one-shot
// flags. Output goes to stdout, `ERROR:` lines to stderr; a daemon that cannot be reached is
// said once however many lines meet it; the worst exit code wins. A line that could reach
// none of its daemons ends the run: what follows would wait and fail the same way.
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

/** Prints outcomes; a line marked `once` already printed in this run is not printed again. */
export class Printer {
  private readonly said = new Set<string>();
  constructor(readonly s: Streams) {}

  print(o: Outcome): void {
    for (const l of o.lines) {
      if (l.once) {
        if (this.said.has(l.text)) continue;
        this.said.add(l.text);
      }
      (l.err ? this.s.err : this.s.out).write(l.text + '\n');
    }
  }
}

export interface Ran {
  code: ExitCode;
  ran: number;
  /** It stopped at a line none of whose daemons could be reached. */
  stopped?: boolean;
}

/** Runs lines in order (a submit before a jobs), stopping at `quit`. */
export async function runLines(session: Session, lines: Iterable<string> | AsyncIterable<string>, p: Printer): Promise<Ran> {
  let code: ExitCode = EXIT.ok;
  let ran = 0;
  for await (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    ran++;
    const o = await session.run(line);
    p.print(o);
    code = worse(code, o.code);
    if (o.follow) code = worse(code, await follow(session, o.follow, p));
    if (o.unreachable) return { code, ran, stopped: true };
    if (o.quit) break;
  }
  return { code, ran };
}

/**
 * log --follow outside the shell: the text as it comes, until it ends (or CTRL+C); how it
 * ended goes to stderr, so that stdout holds the output alone.
 */
async function follow(session: Session, f: Follow, p: Printer): Promise<ExitCode> {
  try {
    const end = await f.stream((chunk) => p.s.out.write(chunk), new AbortController().signal);
    if (end) p.s.err.write(end + '\n');
    return EXIT.ok;
  } catch (e) {
    const [code, message] = session.describeError(e);
    p.print({ lines: [{ text: `ERROR: ${message}`, err: true }], code });
    return code;
  }
}

export function runStatements(session: Session, commands: string[], s: Streams): Promise<Ran> {
  return runLines(session, commands.flatMap(splitStatements), new Printer(s));
}

export async function runStdin(session: Session, stdin: Readable, s: Streams): Promise<Ran> {
  const rl = createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
  return runLines(session, rl, new Printer(s));
}

/**
 * BrokeredLauncher's flags, in order. A destructive one is asked about first (y/N) with `ask`
 * (on a terminal, without -y); a "no" skips it, says so and makes the exit code 1.
 */
export async function runOneShots(session: Session, shots: OneShot[], s: Streams, ask?: (question: string) => boolean): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const p = new Printer(s);
  for (const shot of shots) {
    if (shot.confirm && ask) {
      const where = session.hosts.map((h) => h.client.base).join(', ');
      if (!ask(`${shot.confirm} on ${where}? [y/N] `)) {
        s.err.write(`--${shot.flag}: not confirmed, nothing done\n`);
        code = worse(code, EXIT.refused);
        continue;
      }
    }
    const r = await runLines(session, shot.lines, p);
    code = worse(code, r.code);
    if (r.stopped) break;
  }
  return code;
}
