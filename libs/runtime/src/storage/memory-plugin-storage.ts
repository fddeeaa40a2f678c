import { checkKey, encodeValue, entrySize, quotaError, type PluginStorage } from './plugin-storage.js';

interface Space {
  entries: Map<string, string>;
  /** Bytes of every entry (key + JSON), kept up to date by each write so that no write scans the others. */
  used: number;
}

/** In-process PluginStorage for tests and single-process development. */
export class MemoryPluginStorage implements PluginStorage {
  private readonly data = new Map<string, Space>();

  private space(installationId: string): Space {
    let space = this.data.get(installationId);
    if (!space) this.data.set(installationId, (space = { entries: new Map(), used: 0 }));
    return space;
  }

  get(installationId: string, key: string): Promise<unknown> {
    return attempt(() => {
      checkKey(key);
      const text = this.data.get(installationId)?.entries.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    });
  }

  set(installationId: string, key: string, value: unknown, quotaBytes: number): Promise<void> {
    return attempt(() => {
      checkKey(key);
      const json = encodeValue(value);
      const space = this.space(installationId);
      const old = space.entries.get(key);
      const delta = entrySize(key, json) - (old === undefined ? 0 : entrySize(key, old));
      if (delta > 0 && space.used + delta > quotaBytes) throw quotaError(space.used, delta, quotaBytes);
      space.entries.set(key, json);
      space.used += delta;
    });
  }

  delete(installationId: string, key: string): Promise<boolean> {
    return attempt(() => {
      checkKey(key);
      const space = this.data.get(installationId);
      const old = space?.entries.get(key);
      if (!space || old === undefined) return false;
      space.entries.delete(key);
      space.used -= entrySize(key, old);
      return true;
    });
  }

  list(installationId: string, prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    for (const key of this.data.get(installationId)?.entries.keys() ?? []) if (key.startsWith(prefix)) keys.push(key);
    return Promise.resolve(keys.sort());
  }

  usage(installationId: string): Promise<number> {
    return Promise.resolve(this.data.get(installationId)?.used ?? 0);
  }

  clear(installationId: string): Promise<void> {
    this.data.delete(installationId);
    return Promise.resolve();
  }
}

/** Runs `fn` now, as a promise: a throw becomes a rejection, as from a real store. */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
