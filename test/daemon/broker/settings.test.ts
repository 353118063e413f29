// The limit and the bypass survive restarts; a config file that changes one of them wins.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createBroker } from '../../../daemon/broker/broker.js';
import type { BrokerSettings } from '../../../daemon/config/types.js';
import { EventBus } from '../../../daemon/events/bus.js';
import { openDb } from '../../../daemon/state/db.js';

const settings = (concurrency: number, urgentBypass = false): BrokerSettings => ({
  concurrency, urgentBypass, localSlots: undefined, leaseTtl: 30, defaultTimeout: 0, idleCpu: undefined, retries: 0,
});

describe('broker settings', () => {
  it('keeps run-time values across restarts until the config says something new', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-settings-'));
    const db = openDb(dir);
    const make = (s: BrokerSettings) => createBroker({ db, settings: s, events: new EventBus(), stateDir: dir });
    try {
      const a = make(settings(2));
      assert.equal(a.status().concurrency, 2);
      a.setConcurrency(5);
      a.setUrgentBypass(true);
      const b = make(settings(2));
      assert.deepEqual([b.status().concurrency, b.status().urgent_bypass], [5, true], 'same config: the run-time values stay');
      const c = make(settings(3));
      assert.deepEqual([c.status().concurrency, c.status().urgent_bypass], [3, true], 'a new limit in the file wins; the bypass stays');
      c.setConcurrency(7);
      c.reconfigure(settings(3));
      assert.equal(c.status().concurrency, 7, 'a reload with the same limit keeps the run-time one');
      c.reconfigure(settings(4, false));
      assert.deepEqual([c.status().concurrency, c.status().urgent_bypass], [4, true], 'the bypass was false in the file before too, so it stays');
      c.reconfigure(settings(4, true));
      c.reconfigure(settings(4, false));
      assert.equal(c.status().urgent_bypass, false, 'now the file changed it');
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
