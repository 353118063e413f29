// Go-style and GNU-style flags are the same (docs/spec.md "Programs"): `-host=x`, `-host x`,
// `--host=x`, `--host x`. We rewrite single-dash long flags to double-dash and let
// node's util.parseArgs do the rest, so every program parses the same way.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Rewrites `-long` / `-long=value` to `--long...`; keeps real short flags (`-x`, `-c`, `-y`). */
export function normalizeArgv(argv: readonly string[], spec: FlagSpec): string[] {
  const out: string[] = [];
  let passthrough = false;
  for (const arg of argv) {
    if (passthrough || arg === '--' || !arg.startsWith('-') || arg.startsWith('--') || arg === '-') {
      if (arg === '--') passthrough = true;
      out.push(arg);
      continue;
    }
    const name = arg.slice(1).split('=')[0]!;
    if (name.length > 1 && Object.hasOwn(spec, name)) out.push(`-${arg}`);
    else out.push(arg);
  }
  return out;
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parseFlags(argv: readonly string[], spec: FlagSpec, allowPositionals = true): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: normalizeArgv(argv, spec),
      options: spec,
      allowPositionals,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    // parseArgs messages are good but mention "--"; keep them, drop node's error code prefix.
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

/** `node`, `node:8010`, `http://node:8010`, `https://node` → a base URL (SPEC: default port 8010, http). */
export function hostToUrl(host: string): string {
  let h = host.trim();
  if (!/^[a-z]+:\/\//i.test(h)) h = `http://${h}`;
  const u = new URL(h);
  if (!u.port && !/^[a-z]+:\/\/[^/]*:\d+/i.test(h)) u.port = '8010';
  return u.origin;
}
