// The broker's run-time settings (concurrency, urgent bypass) kept in the store: a value
// changed at run time survives a restart, unless the config file's value changed since; then
// the operator's new word wins. The store remembers the file's value beside the current one.
import type { JobStore } from './store/store.js';

export function persistedSetting<T>(store: JobStore, name: string, configured: T, read: (v: string) => T): T {
  const cfgKey = `config_${name}`;
  if (store.getSetting(cfgKey) !== String(configured)) {
    store.setSetting(cfgKey, String(configured));
    store.setSetting(name, String(configured));
    return configured;
  }
  const v = store.getSetting(name);
  return v === undefined ? configured : read(v);
}
