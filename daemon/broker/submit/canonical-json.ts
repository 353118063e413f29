// One JSON text per value, whatever order its keys came in: a sweep's combination is named by
// the sha256 of this text (BL_OUTPUT_DIR, the done-combination key), so `{"a":1,"b":2}` and
// `{"b":2,"a":1}` must be the same run. Keys sorted by code unit at every depth, no spaces.
import { createHash } from 'node:crypto';

export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    // JSON.stringify gives undefined for undefined and functions; a sweep value is never one.
    const s = JSON.stringify(v);
    if (s === undefined) throw new TypeError(`cannot write ${typeof v} as JSON`);
    return s;
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
