// What an http job may reach when allowed_commands lists URLs, and where its redirects may
// lead: the daemon checks a submit with it, and whichever launcher runs the job (the daemon's
// own or bl-launcher) checks each redirect with it, so both sides read a URL alike. URLs are
// read by the WHATWG parser (`new URL`), which is what fetch sends: `..`, `%2e%2e` and a
// backslash are resolved before the match. What that parser would silently change (a tab, a
// line break, a backslash) or what a server might read otherwise (user info, an encoded `/`)
// is refused rather than guessed at.

/** An allowed URL: scheme, host and port exactly, and a path at or below `path`. */
export interface UrlRule {
  /** The entry as the config wrote it. */
  text: string;
  protocol: 'http:' | 'https:';
  hostname: string;
  /** The port, the scheme's default filled in; `*`: any port (`http://host:*`, or the old prefix `http://host:`). */
  port: string;
  /** Normalised, as `URL.pathname`: `/` for the whole host. */
  path: string;
}

export function isUrlEntry(text: string): boolean {
  return /^https?:\/\//i.test(text.trim());
}

const effectivePort = (u: URL): string => u.port || (u.protocol === 'https:' ? '443' : '80');

/** An entry of allowed_commands that is a URL; throws an Error saying what is wrong with it. */
export function parseUrlRule(text: string): UrlRule {
  let t = text.trim();
  // `host:*` and `host:` (a prefix that once allowed every port of a host) mean any port.
  let anyPort = false;
  const m = /^(https?:\/\/[^/?#]*):\*?(?=$|[/?#])/i.exec(t);
  if (m) {
    anyPort = true;
    t = m[1]! + t.slice(m[0].length);
  }
  const problem = rawProblem(t);
  if (problem) throw new Error(`it has ${problem}`);
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    throw new Error('expected an http or https URL (scheme://host[:port][/path])');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`expected an http or https URL, found ${u.protocol.slice(0, -1)}`);
  if (u.username || u.password) throw new Error('expected no user info (user:password@) in an allowed URL');
  if (u.search || u.hash) throw new Error('expected no query (?…) or fragment (#…) in an allowed URL: it allows a path and what is below it');
  const bad = pathProblem(u);
  if (bad) throw new Error(`its path has ${bad}`);
  return { text: text.trim(), protocol: u.protocol, hostname: u.hostname, port: anyPort ? '*' : effectivePort(u), path: u.pathname };
}

/** What in the text as written the URL parser would drop or rewrite without a word. */
function rawProblem(raw: string): string | null {
  if (/\t/.test(raw)) return 'a tab, which URL parsing drops';
  if (/[\n\r]/.test(raw)) return 'a line break, which URL parsing drops';
  if (/^[\x00-\x20]|[\x00-\x20]$/.test(raw)) return 'a space or control character at its start or end, which URL parsing drops';
  if (/[\x00-\x1f\x7f]/.test(raw)) return 'a control character';
  if (raw.includes('\\')) return 'a backslash, which URL parsing reads as /';
  return null;
}

/** What in a parsed path a server could still read as another path. */
function pathProblem(u: URL): string | null {
  const p = u.pathname;
  if (/%2f/i.test(p)) return 'an encoded / (%2F)';
  if (/%5c/i.test(p)) return 'an encoded \\ (%5C)';
  if (/%25/.test(p)) return 'an encoded % (%25), which a server that decodes twice reads as another escape';
  if (/%00/.test(p)) return 'an encoded NUL (%00)';
  for (const seg of p.split('/')) {
    let d: string;
    try {
      d = decodeURIComponent(seg);
    } catch {
      return `a malformed escape in ${JSON.stringify(seg)}`;
    }
    if (d === '.' || d === '..' || /^\.\.?;/.test(d)) return `a ${JSON.stringify(d)} segment`;
  }
  return null;
}

/**
 * Why a URL (as written, and as parsed: a redirect's Location resolved against its request)
 * may not be matched at all, or null.
 */
export function urlProblem(raw: string, u: URL): string | null {
  const r = rawProblem(raw);
  if (r) return r;
  if (u.username || u.password) return `user info before "@", so its host is ${u.host}`;
  const p = pathProblem(u);
  return p ? `${p} in its path` : null;
}

function pathUnder(p: string, prefix: string): boolean {
  if (prefix === '/' || p === prefix) return true;
  return p.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/** The first rule that allows `u`, if any. */
export function matchUrl(u: URL, rules: readonly UrlRule[]): UrlRule | undefined {
  return rules.find((r) => r.protocol === u.protocol && r.hostname === u.hostname && (r.port === '*' || r.port === effectivePort(u)) && pathUnder(u.pathname, r.path));
}
