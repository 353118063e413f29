// History, remembered hosts and tokens per host kept between runs (conf). Loaded after the
// first frame: conf costs ~90 ms to import, and the prompt should come first (start-up target
// 300 ms); a token is looked up only when a daemon answers 401 (session.ts).
import type Conf from 'conf';

interface Stored {
  history: string[];
  hosts: string[];
  /** Bearer tokens by daemon base URL (`http://node:8010`): `--token` once, then no more. */
  tokens: Record<string, string>;
}

const MAX_LINES = 1000;
const MAX_HOSTS = 20;

export class HistoryStore {
  constructor(private readonly conf: Conf<Stored>) {}

  lines(): string[] {
    return this.conf.get('history');
  }

  add(line: string): void {
    const l = line.trim();
    if (!l) return;
    const h = this.lines();
    if (h[h.length - 1] === l) return;
    this.conf.set('history', [...h, l].slice(-MAX_LINES));
  }

  hosts(): string[] {
    return this.conf.get('hosts');
  }

  addHosts(hosts: string[]): void {
    const old = this.hosts().filter((h) => !hosts.includes(h));
    this.conf.set('hosts', [...hosts, ...old].slice(0, MAX_HOSTS));
  }

  token(baseUrl: string): string | undefined {
    return this.conf.get('tokens')[baseUrl];
  }

  /** The same token for each of these daemons (base URLs, as contract/flags.ts hostToUrl makes them). */
  setToken(baseUrls: string[], token: string): void {
    const tokens = { ...this.conf.get('tokens') };
    for (const u of baseUrls) tokens[u] = token;
    // The whole object: conf reads dots in a key as a path, and URLs have dots.
    this.conf.set('tokens', tokens);
  }
}

const opened = new Map<string, Promise<HistoryStore>>();

/** `dir`: where to keep the file (tests: a temp dir); default: the OS config folder. */
export function openHistory(dir?: string): Promise<HistoryStore> {
  // One store a file per process: the token look-up and the shell's history share it.
  let p = opened.get(dir ?? '');
  if (!p) {
    p = load(dir);
    opened.set(dir ?? '', p);
    p.catch(() => opened.delete(dir ?? ''));
  }
  return p;
}

async function load(dir?: string): Promise<HistoryStore> {
  const { default: ConfClass } = await import('conf');
  const conf = new ConfClass<Stored>({
    projectName: 'bl-console',
    configName: 'console',
    ...(dir ? { cwd: dir } : {}),
    defaults: { history: [], hosts: [], tokens: {} },
    // It holds tokens: readable by its owner only.
    configFileMode: 0o600,
  });
  return new HistoryStore(conf);
}
