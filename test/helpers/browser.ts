// Browser plumbing of the dashboard tests: the compiled page script (built first when a test
// runs from source and the script is missing or older than its sources), and Debian's
// chromium driven by playwright-core.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot } from './daemon.js';

const SOURCES = path.join(repoRoot, 'daemon', 'dashboard');
const BUILT = path.join(repoRoot, 'dist', 'daemon', 'dashboard');

function staleScripts(): string[] {
  const mtime = (f: string) => {
    try {
      return statSync(f).mtimeMs;
    } catch {
      return -1;
    }
  };
  return readdirSync(SOURCES)
    .filter((n) => n.endsWith('.ts'))
    .filter((n) => mtime(path.join(BUILT, n.replace(/\.ts$/, '.js'))) < mtime(path.join(SOURCES, n)));
}

/** The daemon serves the page script from dist/ (never compiled on the fly): build it if stale. */
export function ensureDashboardBuilt(): void {
  if (staleScripts().length === 0) return;
  try {
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(repoRoot, 'tsconfig.json')], { cwd: repoRoot, stdio: 'pipe' });
  } catch {
    // Type errors elsewhere in the tree do not stop the emit; what counts is checked below.
  }
  const still = staleScripts();
  if (still.length) throw new Error(`the dashboard script is not built (${still.join(', ')}); run \`npm run build\``);
}

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  // launch() gives every run a fresh temporary profile.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
