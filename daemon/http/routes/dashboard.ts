// GET /: the web dashboard. The page is static: index.html and style.css from
// daemon/dashboard/, its script compiled by the project's tsc to dist/daemon/dashboard/. All
// data comes from the API in the browser, so the files carry nothing secret.
//
// Under auth the page itself answers 401 (with the basic challenge when basic is set, so the
// browser prompts) but still carries the page as its body: a token-only setup shows its token
// form there. The script and stylesheet are open (auth-free, see dashboardPublicPaths) because
// a page holding its token in localStorage cannot attach it to <script> and <link> loads.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Router from '@koa/router';
import { BlError } from '../../../contract/errors.js';
import { challenge, isAuthorized } from '../auth.js';
import type { Services } from '../../services.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// daemon/http/routes (from source, tsx) or dist/daemon/http/routes (compiled).
const fromDist = path.basename(path.resolve(here, '../../..')) === 'dist';
const root = fromDist ? path.resolve(here, '../../../..') : path.resolve(here, '../../..');
/** index.html and style.css live beside the browser sources; tsc does not copy them. */
export const SOURCE_DIR = path.join(root, 'daemon', 'dashboard');
/** The compiled browser modules, also when the daemon itself runs from source. */
export const SCRIPT_DIR = path.join(root, 'dist', 'daemon', 'dashboard');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Asset name (as served under /dashboard/) → the file it comes from. */
function assetFiles(): Map<string, string> {
  const files = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(SOURCE_DIR);
  } catch {
    return files;
  }
  for (const n of names) {
    if (n.endsWith('.ts') && !n.endsWith('.d.ts')) files.set(n.replace(/\.ts$/, '.js'), path.join(SCRIPT_DIR, n.replace(/\.ts$/, '.js')));
    else if (n !== 'index.html' && TYPES[path.extname(n)]) files.set(n, path.join(SOURCE_DIR, n));
  }
  return files;
}

/** Paths the auth middleware lets through: the page's code and style, never data. */
export function dashboardPublicPaths(): string[] {
  return ['/', ...[...assetFiles().keys()].map((n) => `/dashboard/${n}`)];
}

const PAGE_HEADERS = {
  // Everything the page loads comes from this daemon; no inline script can run.
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

export function mountDashboardRoutes(router: Router, s: Services): void {
  const assets = assetFiles();
  const page = path.join(SOURCE_DIR, 'index.html');

  router.get('/', (ctx) => {
    ctx.set(PAGE_HEADERS);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = readFileSync(page);
    // The page itself is open (it holds no data and carries the token form); without
    // credentials it says 401, as the rest of the API would.
    if (!isAuthorized(ctx, s.config.auth)) {
      ctx.status = 401;
      challenge(ctx, s.config.auth!);
    }
  });

  router.get('/dashboard/:file', (ctx) => {
    const name = String(ctx.params.file);
    const file = assets.get(name);
    if (!file) throw new BlError('not_found', `no dashboard file "${name}"`);
    try {
      statSync(file);
    } catch {
      throw new BlError('not_found', `dashboard file ${name} is missing at ${file}: build the dashboard script with \`npm run build\``);
    }
    ctx.set(PAGE_HEADERS);
    ctx.type = TYPES[path.extname(name)]!;
    ctx.body = readFileSync(file);
  });
}
