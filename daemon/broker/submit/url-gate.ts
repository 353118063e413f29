// allowed_commands for http jobs: the URL as parsed by WHATWG (what fetch will request) must be
// at or below a URL entry: same scheme, host and port, a path prefix by whole segments. The
// entries travel with the job (`redirects`), so the launcher that runs it, the daemon's own or
// a bl-launcher, follows a redirect only to where the list allows (runner/http-redirects.ts).
import { BlError } from '../../../contract/errors.js';
import type { HttpSpec } from '../../../contract/run.js';
import { matchUrl, urlProblem, type UrlRule } from '../../../runner/url-rule.js';
import type { NewJob } from '../types.js';
import { shown } from './command-gate.js';

/** The job's http spec once checked, or a 403 saying why not. */
export function gateUrl(j: NewJob & { http: HttpSpec }, rules: readonly UrlRule[]): HttpSpec {
  const raw = j.submittedUrl ?? j.http.url;
  const u = new URL(j.http.url);
  const problem = urlProblem(raw, u);
  if (problem) throw new BlError('forbidden', `http job URL ${shown(raw)} refused: it has ${problem}; allowed_commands matches a URL only as written plainly`);
  if (!matchUrl(u, rules)) {
    const normalised = raw !== u.href ? ` (${shown(raw)} as requested)` : '';
    const allowed = rules.length ? `allowed URLs: ${rules.map((r) => r.text).join(', ')}` : 'allowed_commands names no URL';
    throw new BlError('forbidden', `http job URL ${u.href}${normalised} refused: it is not at or below a URL allowed_commands names (${allowed})`);
  }
  return j.http;
}
