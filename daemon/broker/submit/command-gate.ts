// allowed_commands for command and argv jobs. A command is cut into words (shell-words.ts:
// anything that is not a plain word list is refused), its program resolved against the job's
// cwd or the daemon's PATH (program-path.ts) and matched against the entries; then the job is
// rewritten to run what was checked: the resolved program's path, then the words as read,
// each quoted by us (a $VARIABLE as one word "${NAME}", a glob an entry names bare); an argv
// job gets the path as its argv[0]. The text the user sent never reaches a shell, so no
// reading of it other than ours can run.
import { BlError } from '../../../contract/errors.js';
import type { NewJob } from '../types.js';
import type { AllowEntry } from './allow-entries.js';
import { physicalProgram, realFolder, resolveProgram, type Program } from './program-path.js';
import { shQuote } from './sh-quote.js';
import { hasGlob, literalWord, ShellRefusal, shellWords, wordScript, wordText, type Word } from './shell-words.js';

type Resolved = { entry: AllowEntry & { kind: 'program' }; path: string } | { entry: AllowEntry; folder: string };

/** What one submit looks up on disk, each once: programs by (cwd, word), and the entries. */
export class ProgramLookup {
  private readonly programs = new Map<string, Program>();
  private entries: Resolved[] | undefined;
  /** Entries that name nothing now, and why (said in the log at start and at each reload). */
  readonly problems: string[] = [];

  constructor(
    private readonly list: readonly AllowEntry[],
    private readonly searchPath: string,
  ) {}

  program(word: string, cwd: string): Program {
    const key = word.includes('/') && !word.startsWith('/') ? `${cwd}\0${word}` : word;
    let p = this.programs.get(key);
    if (!p) this.programs.set(key, (p = resolveProgram(word, cwd, this.searchPath)));
    return p;
  }

  /** The entries that name something now; an entry naming nothing allows nothing. */
  resolved(): Resolved[] {
    if (this.entries) return this.entries;
    const out: Resolved[] = [];
    for (const e of this.list) {
      if (e.kind === 'folder') {
        const f = realFolder(e.folder);
        if (f) out.push({ entry: e, folder: f });
        else this.problems.push(`${JSON.stringify(e.text)}: there is no folder ${e.folder}`);
      } else if (e.kind === 'program') {
        const p = e.program.includes('/') ? physicalProgram(e.program) : resolveProgram(e.program, '/', this.searchPath);
        // A folder written without its trailing / (a prefix, before) is that folder.
        const f = !p.ok && e.args.length === 0 && e.program.includes('/') ? realFolder(e.program) : null;
        if (p.ok) out.push({ entry: e, path: p.path });
        else if (f) out.push({ entry: e, folder: f });
        else this.problems.push(`${JSON.stringify(e.text)}: ${p.why}`);
      }
    }
    return (this.entries = out);
  }
}

/** What the list allows, for a refusal to name. */
function listed(list: readonly AllowEntry[]): string {
  const t = list.filter((e) => e.kind !== 'url').map((e) => e.text);
  return t.length ? `allowed_commands: ${t.join(', ')}` : 'allowed_commands names no program';
}

/** A command in a refusal: whole up to 120 characters, in JSON's notation (a newline shows as \n). */
export function shown(v: string | string[]): string {
  if (typeof v !== 'string') return JSON.stringify(v.map((a) => (a.length > 120 ? `${a.slice(0, 120)}…` : a)));
  return JSON.stringify(v.length > 120 ? `${v.slice(0, 120)}…` : v);
}

const under = (p: string, folder: string): boolean => p.startsWith(folder === '/' ? '/' : `${folder}/`);

/** The index of the last argument with a glob, or -1. */
function lastGlob(args: Word[]): number {
  for (let i = args.length - 1; i >= 0; i--) if (hasGlob(args[i]!)) return i;
  return -1;
}

function argsStartWith(args: Word[], prefix: Word[]): boolean {
  return prefix.length <= args.length && prefix.every((w, i) => wordScript(w) === wordScript(args[i]!));
}

/** `j` as it will run, or a 403 saying what was refused and why. */
export function gateCommand(j: NewJob, list: readonly AllowEntry[], lookup: ProgramLookup): NewJob {
  const what = j.command !== null ? `command ${shown(j.command)}` : `argv ${shown(j.argv!)}`;
  const refuse = (why: string) => new BlError('forbidden', `${what} refused: ${why}`);
  let words: Word[];
  if (j.command !== null) {
    try {
      words = shellWords(j.command);
    } catch (e) {
      if (e instanceof ShellRefusal) throw refuse(e.message);
      throw e;
    }
  } else words = j.argv!.map(literalWord);
  const first = words[0];
  if (!first) throw refuse('it names no program');
  const name = wordText(first);
  if (name === null) throw refuse(`its program ${JSON.stringify(first.raw)} is not written out (it has a glob or a $variable); allowed_commands matches the program as written`);
  const prog = lookup.program(name, j.cwd);
  if (!prog.ok) throw refuse(`its program ${JSON.stringify(name)} cannot be allowed: ${prog.why}`);
  const args = words.slice(1);
  const glob = lastGlob(args);

  let escaped: string | undefined;
  let otherArgs: AllowEntry[] = [];
  let named: AllowEntry | undefined;
  let globNamed = false;
  for (const r of lookup.resolved()) {
    if ('folder' in r) {
      if (!under(prog.path, r.folder)) continue;
      // The file itself must be under the folder too: a link there may not lead out.
      if (!under(prog.real, r.folder)) {
        escaped = `${prog.path} is a link to ${prog.real}, outside ${r.folder}/`;
        continue;
      }
      named ??= r.entry;
      if (glob < 0) globNamed = true;
    } else if (r.path === prog.path) {
      if (!argsStartWith(args, r.entry.args)) {
        otherArgs.push(r.entry);
        continue;
      }
      named ??= r.entry;
      if (glob < r.entry.args.length) globNamed = true;
    }
    if (named && globNamed) break;
  }
  if (!named) {
    if (escaped) throw refuse(`its program ${escaped}; ${listed(list)}`);
    if (otherArgs.length) throw refuse(`${prog.path} is allowed only as ${otherArgs.map((e) => JSON.stringify(e.text)).join(' or ')}`);
    const via = name.includes('/') ? (name.startsWith('/') ? '' : ` (against the job's cwd ${j.cwd})`) : " (on the daemon's PATH)";
    throw refuse(`its program ${JSON.stringify(name)} is ${prog.path}${via}, which is not allowed; ${listed(list)}`);
  }
  if (!globNamed) {
    const w = args[glob]!;
    const g = w.parts.find((p) => p.t === 'glob')!;
    throw refuse(`it has a glob ${JSON.stringify(g.t === 'glob' ? g.s : '')} in ${JSON.stringify(w.raw)} (argument ${glob + 1}), and allowed_commands names none there; quote it to mean the character`);
  }
  if (j.argv) return { ...j, argv: [prog.path, ...j.argv.slice(1)] };
  // Written by us from the words read: sh reads it back as exactly those words (a plain one is
  // exec'd without a shell, job-process.ts).
  return { ...j, command: [shQuote(prog.path), ...args.map(wordScript)].join(' ') };
}
