// Blocks → text lines: aligned tables, `Key:  value` pairs, optional ANSI colours. Used for
// stdout (colour only on a TTY) and inside the Ink scrollback (Ink passes ANSI through).
// Given the terminal's width, a table never wraps: its flex column is cut with …, cells with
// a short form use it when the long one leaves too little room, and a line still too long is
// cut at the edge.
import type { Block, Cell, CommandResult, Tone } from './result.js';

const CODES: Record<Tone, [number, number] | undefined> = {
  good: [32, 39],
  wait: [33, 39],
  bad: [31, 39],
  dim: [2, 22],
  accent: [36, 39],
  plain: undefined,
};

/** Spaces between two columns. */
const GAP = 2;
/** Below this many characters the flex column is of little use: short forms are taken first. */
const FLEX_ROOM = 16;

export function paint(s: string, tone: Tone | undefined, color: boolean): string {
  const c = tone && CODES[tone];
  return color && c ? `\u001b[${c[0]}m${s}\u001b[${c[1]}m` : s;
}

/** Columns a string takes, counted in code points (wide CJK glyphs count as one). */
export const visibleLength = (s: string): number => [...s].length;

/** `s` in at most `w` columns, its end replaced by … when cut. */
export function cut(s: string, w: number): string {
  const cps = [...s];
  if (cps.length <= w) return s;
  return w <= 0 ? '' : cps.slice(0, w - 1).join('') + '…';
}

const cellText = (c: Cell, short: boolean): string => (typeof c === 'string' ? c : short && c.short !== undefined ? c.short : c.text);
const cellTone = (c: Cell): Tone | undefined => (typeof c === 'string' ? undefined : c.tone);

const total = (widths: number[]) => widths.reduce((a, b) => a + b, 0) + GAP * Math.max(0, widths.length - 1);

function naturalWidths(headers: string[], rows: Cell[][], short: boolean): number[] {
  return headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(cellText(r[i] ?? '', short)))));
}

/** The flex column gives up what the table lacks, down to its header's width. */
function shrinkFlex(widths: number[], width: number, flex: number | undefined, header: string): number[] {
  const excess = total(widths) - width;
  if (excess <= 0 || flex === undefined || flex >= widths.length) return widths;
  const floor = Math.min(widths[flex]!, Math.max(visibleLength(header), 4));
  const out = [...widths];
  out[flex] = Math.max(floor, out[flex]! - excess);
  return out;
}

export interface TableLayout {
  widths: number[];
  /** Cells show their short form. */
  short: boolean;
}

/** Column widths for `width` columns of terminal (none: every column at its natural width). */
export function layoutTable(b: Extract<Block, { kind: 'table' }>, width?: number): TableLayout {
  const long = naturalWidths(b.headers, b.rows, false);
  if (width === undefined || total(long) <= width) return { widths: long, short: false };
  const flexHeader = b.flex === undefined ? '' : b.headers[b.flex] ?? '';
  const fitted = shrinkFlex(long, width, b.flex, flexHeader);
  const hasShort = b.rows.some((r) => r.some((c) => typeof c !== 'string' && c.short !== undefined));
  const roomy = b.flex === undefined || fitted[b.flex]! >= Math.min(FLEX_ROOM, long[b.flex]!);
  if (!hasShort || (roomy && total(fitted) <= width)) return { widths: fitted, short: false };
  return { widths: shrinkFlex(naturalWidths(b.headers, b.rows, true), width, b.flex, flexHeader), short: true };
}

/** Pads to width first, then colours, so ANSI codes never upset the alignment; cut at `width`. */
function row(cells: Cell[], layout: TableLayout, color: boolean, width: number | undefined, tone?: Tone): string {
  const parts = cells.map((c, i) => {
    const w = layout.widths[i]!;
    const t = cut(cellText(c, layout.short), w);
    const last = i === cells.length - 1;
    return { text: last ? t : t + ' '.repeat(w - visibleLength(t)), tone: tone ?? cellTone(c) };
  });
  let room = width ?? Infinity;
  const out: string[] = [];
  for (const [i, p] of parts.entries()) {
    const sep = i === 0 ? '' : ' '.repeat(GAP);
    if (room <= visibleLength(sep)) break;
    room -= visibleLength(sep);
    const text = cut(p.text, room);
    room -= visibleLength(text);
    out.push(sep + paint(text, p.tone, color));
    if (text !== p.text) break;
  }
  return out.join('').trimEnd();
}

export function renderBlock(b: Block, color: boolean, width?: number): string[] {
  switch (b.kind) {
    case 'text':
      return b.text === '' ? [] : b.text.replace(/\n$/, '').split('\n').map((l) => paint(l, b.tone, color));
    case 'pairs': {
      const w = Math.max(0, ...b.pairs.map(([k]) => k.length + 1));
      return b.pairs.map(([k, v]) => `${`${k}:`.padEnd(w)}  ${paint(cellText(v, false), cellTone(v), color)}`);
    }
    case 'table': {
      const layout = layoutTable(b, width);
      return [row(b.headers, layout, color, width, 'dim'), ...b.rows.map((r) => row(r, layout, color, width))];
    }
  }
}

export function renderResult(r: CommandResult, color: boolean, width?: number): string[] {
  return r.blocks.flatMap((b) => renderBlock(b, color, width));
}
