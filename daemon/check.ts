// `bl-daemon --check`: a config validated without starting anything. Alone it reads the file
// and prints what it defines (check-text.ts); with a host it asks that daemon what a SIGHUP
// would do with it (POST /config/check: the file sent in the body, or, with no file, the
// daemon's own). Exit 0: valid; 2: not valid (the field named); 1: the daemon not reached or
// refusing. main.ts reads argv and the environment and passes them here.
import { readFileSync } from 'node:fs';
import type { DaemonConfig } from './config/types.js';
import { ConfigError } from './config/load.js';
import { checkText } from './config/check-text.js';
import { checkHost } from './run.js';
import { hostToUrl } from '../contract/flags.js';

export interface CheckOptions {
  /** Loads the config file as a start would (main.ts applies its flags); undefined: no file given. */
  load: (() => DaemonConfig) | undefined;
  file: string | undefined;
  host: string | undefined;
  token: string | undefined;
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function runCheck(o: CheckOptions): Promise<number> {
  if (o.host === undefined) {
    if (!o.load) {
      o.err('bl-daemon: --check: expected -conf=FILE (the config to check) or -host=HOST (a daemon whose own file to check)');
      return 2;
    }
    try {
      const c = o.load();
      checkHost(c);
      o.out(checkText(c));
      return 0;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      o.err(`bl-daemon: config not valid: ${e.message}`);
      return 2;
    }
  }
  let body = '';
  if (o.file !== undefined) {
    try {
      body = readFileSync(o.file, 'utf8');
    } catch (e) {
      o.err(`bl-daemon: cannot read the config file ${o.file}: ${(e as Error).message}`);
      return 2;
    }
  }
  let url: string;
  try {
    url = `${hostToUrl(o.host)}/config/check`;
  } catch {
    o.err(`bl-daemon: --host: expected HOST[:PORT] or a URL, found "${o.host}"`);
    return 2;
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', Accept: 'text/plain', ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}) },
    });
  } catch (e) {
    const cause = (e as { cause?: Error }).cause;
    o.err(`bl-daemon: cannot reach the daemon at ${url}: ${cause?.message ?? (e as Error).message}`);
    return 1;
  }
  const text = (await res.text()).trimEnd();
  if (res.ok) {
    o.out(text);
    return 0;
  }
  o.err(`bl-daemon: ${url} answered ${res.status}: ${text.replace(/^ERROR: /, '')}`);
  return res.status === 400 ? 2 : 1;
}
