// Parameter sweeps (Tasks-In-A-Bottle's idea, docs/spec.md "Broker and jobs"): `params: {name: [values]}`
// becomes one job per combination. Pure: the submit parser calls expandSweep, the store only
// sees the expanded jobs. Tasks-In-A-Bottle gave every task one output directory; here each
// combination gets its own, named by the sha256 of its canonical JSON, so a re-run of the same
// combination lands in the same place and a different one never collides.
//
// A value is data, always: in a command it becomes one shell word (quoted for where its
// `{name}` stands, shell-context.ts), in argv it is text inside its element. A value a place
// cannot quote for sure (inside backticks, $((…)), ${…}, a here-document) is refused.
import path from 'node:path';
import { BlError, describe } from '../../../contract/errors.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { inDoubleQuotes, inSingleQuotes, isShSafe, shQuote } from './sh-quote.js';
import { PLACEHOLDER, placeholderSlots, type Place, type Slot } from './shell-context.js';
import type { NewJob } from '../types.js';

export type Scalar = string | number | boolean;
/** Parameter names and their values, in the order the submit gave them. */
export type Grid = [string, Scalar[]][];
export type Combo = Record<string, Scalar>;

/** A submit may ask for at most this many combinations (each is a row and a directory). */
export const MAX_COMBINATIONS = 100_000;
export const DEFAULT_OUTPUT_ROOT = 'bl-runs';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseParams(where: string, raw: unknown): Grid {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BlError('bad_value', `${where}: expected \`params\` to be an object of value arrays (e.g. {"n": [1, 2]}), found ${describe(raw)}`);
  }
  const grid: Grid = [];
  for (const [name, values] of Object.entries(raw)) {
    if (!NAME.test(name)) throw new BlError('bad_value', `${where}: expected parameter names of letters, digits and _ (not starting with a digit), found ${describe(name)}`);
    if (!Array.isArray(values) || values.length === 0) {
      throw new BlError('bad_value', `${where}: expected \`params.${name}\` to be a non-empty array of values, found ${describe(values)}`);
    }
    const seen = new Set<string>();
    for (const v of values) {
      if (!['string', 'number', 'boolean'].includes(typeof v) || (typeof v === 'number' && !Number.isFinite(v))) {
        throw new BlError('bad_value', `${where}: expected \`params.${name}\` values to be strings, numbers or booleans, found ${describe(v)}`);
      }
      // Two equal values would be two jobs sharing one output directory and one done-key.
      const c = canonicalJson(v);
      if (seen.has(c)) throw new BlError('bad_value', `${where}: expected distinct values in \`params.${name}\`, found ${c} twice`);
      seen.add(c);
    }
    grid.push([name, values as Scalar[]]);
  }
  if (grid.length === 0) throw new BlError('bad_value', `${where}: expected \`params\` to name at least one parameter, found {}`);
  return grid;
}

export function combinationCount(grid: Grid): number {
  return grid.reduce((n, [, vs]) => n * vs.length, 1);
}

/** The cartesian product, the first parameter varying slowest (nested loops in key order). */
export function combinations(grid: Grid): Combo[] {
  let out: Combo[] = [{}];
  for (const [name, values] of grid) {
    const next: Combo[] = [];
    for (const c of out) for (const v of values) next.push({ ...c, [name]: v });
    out = next;
  }
  return out;
}

export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** `{name}` replaced by the value as text: an argv element stays one element whatever it holds. */
export function substituteText(text: string, combo: Combo): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (name in combo ? String(combo[name]) : whole));
}

const CANNOT_QUOTE: Partial<Record<Place, string>> = {
  backtick: 'inside backticks (write $(…) instead)',
  arith: 'inside $((…)), ((…)) or [[…]]',
  brace: 'inside ${…}',
  heredoc: 'in a here-document',
  other: "where it cannot be quoted (after a backslash, in $'…', or as a here-document delimiter)",
};

/** The value written for its place: one word of data, or a refusal naming the place. */
function quoted(value: string, slot: Slot, where: string): string {
  switch (slot.place) {
    case 'plain':
      return shQuote(value);
    case 'single':
      return inSingleQuotes(value);
    case 'double':
      return inDoubleQuotes(value);
    case 'comment':
      if (!/[\n\r]/.test(value)) return value;
      break;
    default:
      if (isShSafe(value)) return value;
  }
  const place = slot.place === 'comment' ? 'in a comment (a line break would end it)' : CANNOT_QUOTE[slot.place];
  throw new BlError('bad_value', `${where}: the value ${describe(value)} of {${slot.name}} stands ${place}, where only letters, digits and _@%+,./:- can go`);
}

/** A command template read once: its text between placeholders, and each placeholder's place. */
export interface Template {
  text: string;
  slots: Slot[];
}

export function commandTemplate(text: string): Template {
  return { text, slots: placeholderSlots(text) };
}

/** The command with each `{name}` replaced by its value as one shell word (sh-quote.ts). */
export function substituteCommand(t: Template, combo: Combo, where = 'job'): string {
  let out = '';
  let at = 0;
  for (const s of t.slots) {
    if (!(s.name in combo)) continue;
    out += t.text.slice(at, s.start) + quoted(String(combo[s.name]), s, where);
    at = s.end;
  }
  return out + t.text.slice(at);
}

/** substituteCommand for a command given as text. */
export function substitute(text: string, combo: Combo, where = 'job'): string {
  return substituteCommand(commandTemplate(text), combo, where);
}

/** Names the combination: the same command template with the same values is the same run. */
export function sweepKey(template: string | string[], combo: Combo): string {
  return sha256Hex(canonicalJson({ params: combo, template }));
}

/** `<output_root>/<sha256 of the canonical params JSON>`; a relative root is under the job's cwd. */
export function outputDir(cwd: string, outputRoot: string, combo: Combo): string {
  return path.resolve(cwd, outputRoot, sha256Hex(canonicalJson(combo)));
}

export interface SweepOptions {
  outputRoot: string;
  force: boolean;
}

/** One job per combination, with `{name}` replaced in the command (or argv) and its env set. */
export function expandSweep(where: string, job: NewJob, grid: Grid, o: SweepOptions): NewJob[] {
  const count = combinationCount(grid);
  if (count > MAX_COMBINATIONS) {
    const sizes = grid.map(([n, vs]) => `${n}: ${vs.length}`).join(' × ');
    throw new BlError('bad_value', `${where}: expected at most ${MAX_COMBINATIONS} combinations of \`params\`, found ${count} (${sizes})`);
  }
  const template: string | string[] | null = job.command ?? job.argv;
  if (template === null) throw new BlError('bad_value', `${where}: \`params\` need a \`command\` or \`argv\` to substitute into`);
  const names = new Set(grid.map(([n]) => n));
  const texts = typeof template === 'string' ? [template] : template;
  for (const t of texts) {
    for (const p of placeholders(t)) {
      if (!names.has(p)) throw new BlError('bad_value', `${where}: the command uses {${p}}, which \`params\` does not name (params: ${[...names].join(', ')})`);
    }
  }
  // What sweepKey and outputDir compute, with the per-submit parts done once: a 100,000-job
  // sweep spends its time here.
  const templateJson = canonicalJson(template);
  const root = path.resolve(job.cwd, o.outputRoot);
  const command = job.command === null ? null : commandTemplate(job.command);
  return combinations(grid).map((combo) => {
    const canonical = canonicalJson(combo);
    const hash = sha256Hex(canonical);
    return {
      ...job,
      command: command === null ? null : substituteCommand(command, combo, where),
      argv: job.argv === null ? null : job.argv.map((a) => substituteText(a, combo)),
      env: { ...job.env, BL_PARAMS: canonical, BL_OUTPUT_DIR: path.join(root, hash) },
      // An idempotency key names the submit; each combination needs its own or all but one
      // would come back as the first.
      key: job.key === null ? null : `${job.key}/${hash}`,
      params: combo,
      // canonicalJson({params, template}): "params" sorts before "template".
      sweepKey: sha256Hex(`{"params":${canonical},"template":${templateJson}}`),
      force: o.force,
    };
  });
}
