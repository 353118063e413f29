// History and remembered hosts kept between runs (conf). Loaded after the first frame: conf
// costs ~90 ms to import, and the prompt should come first (start-up target 300 ms).
import type Conf from 'conf';

interface Stored {
  history: string[];
  hosts: string[];
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
}

/** `dir`: where to keep the file (tests: a temp dir); default: the OS config folder. */
export async function openHistory(dir?: string): Promise<HistoryStore> {
  const { default: ConfClass } = await import('conf');
  const conf = new ConfClass<Stored>({
    projectName: 'bl-console',
    configName: 'console',
    ...(dir ? { cwd: dir } : {}),
    defaults: { history: [], hosts: [] },
  });
  return new HistoryStore(conf);
}
