// Blocks → text lines: aligned tables, `Key:  value` pairs, optional ANSI colours. Used for
// stdout (colour only on a TTY) and inside the Ink scrollback (Ink passes ANSI through).
import type { Block, Cell, CommandResult, Tone } from './result.js';

const CODES: Record<Tone, [number, number] | undefined> = {
  good: [32, 39],
  wait: [33, 39],
  bad: [31, 39],
  dim: [2, 22],
  accent: [36, 39],
  plain: undefined,
};

export function paint(s: string, tone: Tone | undefined, color: boolean): string {
  const c = tone && CODES[tone];
  return color && c ? `\u001b[${c[0]}m${s}\u001b[${c[1]}m` : s;
}

const cellText = (c: Cell): string => (typeof c === 'string' ? c : c.text);
const cellTone = (c: Cell): Tone | undefined => (typeof c === 'string' ? undefined : c.tone);

/** Pads to width first, then colours, so ANSI codes never upset the alignment. */
function row(cells: Cell[], widths: number[], color: boolean): string {
  return cells
    .map((c, i) => {
      const t = cellText(c);
      const last = i === cells.length - 1;
      return paint(last ? t : t.padEnd(widths[i]!), cellTone(c), color);
    })
    .join('  ')
    .trimEnd();
}

export function renderBlock(b: Block, color: boolean): string[] {
  switch (b.kind) {
    case 'text':
      return b.text === '' ? [] : b.text.replace(/\n$/, '').split('\n').map((l) => paint(l, b.tone, color));
    case 'pairs': {
      const w = Math.max(0, ...b.pairs.map(([k]) => k.length + 1));
      return b.pairs.map(([k, v]) => `${`${k}:`.padEnd(w)}  ${paint(cellText(v), cellTone(v), color)}`);
    }
    case 'table': {
      const widths = b.headers.map((h, i) => Math.max(h.length, ...b.rows.map((r) => cellText(r[i] ?? '').length)));
      const head = paint(row(b.headers, widths, false), 'dim', color);
      return [head, ...b.rows.map((r) => row(r, widths, color))];
    }
  }
}

export function renderResult(r: CommandResult, color: boolean): string[] {
  return r.blocks.flatMap((b) => renderBlock(b, color));
}
