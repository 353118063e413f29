// `-host=H` inside a console command: with several daemons connected, it sends a command that
// goes to one of them there (`submit -host=b make`, `set T cardinality 3 -host=b`). Pure.
import { hostToUrl, UsageError } from '../contract/flags.js';

const FLAG = /^--?host(?:=(.*))?$/;

export interface HostOption {
  /** The host asked for, as typed. */
  host?: string;
  /** The words without the option. */
  words: string[];
  /** How many leading words it took (a raw command after them starts past these). */
  leading: number;
}

/**
 * Takes `-host=H`, `--host=H`, `-host H` or `--host H` out of a command's words: anywhere, or
 * only before the first other word (`submit`: what follows is a shell command's own).
 */
export function takeHostOption(words: readonly string[], leadingOnly: boolean): HostOption {
  const out: string[] = [];
  let host: string | undefined;
  let leading = 0;
  for (let i = 0; i < words.length; i++) {
    const m = FLAG.exec(words[i]!);
    const atStart = out.length === 0;
    if (!m || (leadingOnly && !atStart)) {
      out.push(words[i]!);
      continue;
    }
    const value = m[1] ?? words[++i];
    if (value === undefined || value === '') throw new UsageError('-host: expected one of the connected hosts, got nothing');
    if (host !== undefined) throw new UsageError(`-host: expected one host, got ${JSON.stringify(host)} and ${JSON.stringify(value)}`);
    host = value;
    if (atStart) leading = i + 1;
  }
  return host === undefined ? { words: out, leading } : { host, words: out, leading };
}

/** Which connected host `wanted` names: its label, the same address, or a unique start of a label. */
export function pickHost(labels: readonly string[], wanted: string): number {
  const exact = labels.indexOf(wanted);
  if (exact >= 0) return exact;
  let url: string | undefined;
  try {
    url = hostToUrl(wanted);
  } catch {
    // not an address: a start of a label perhaps
  }
  const same = labels.findIndex((l) => url !== undefined && hostToUrl(l) === url);
  if (same >= 0) return same;
  const starts = labels.flatMap((l, i) => (l.startsWith(wanted) ? [i] : []));
  if (starts.length === 1) return starts[0]!;
  const which = starts.length > 1 ? `several connected hosts start with it (${starts.map((i) => labels[i]).join(', ')})` : 'not a connected host';
  throw new UsageError(`-host: expected one of ${labels.join(', ')}, got ${JSON.stringify(wanted)}: ${which}`);
}
