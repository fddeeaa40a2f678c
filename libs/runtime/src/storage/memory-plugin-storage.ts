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

  async get(installationId: string, key: string): Promise<unknown> {
    checkKey(key);
    const text = this.data.get(installationId)?.entries.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  async set(installationId: string, key: string, value: unknown, quotaBytes: number): Promise<void> {
    checkKey(key);
    const json = encodeValue(value);
    const space = this.space(installationId);
    const old = space.entries.get(key);
    const delta = entrySize(key, json) - (old === undefined ? 0 : entrySize(key, old));
    if (delta > 0 && space.used + delta > quotaBytes) throw quotaError(space.used, delta, quotaBytes);
    space.entries.set(key, json);
    space.used += delta;
  }

  async delete(installationId: string, key: string): Promise<boolean> {
    checkKey(key);
    const space = this.data.get(installationId);
    const old = space?.entries.get(key);
    if (!space || old === undefined) return false;
    space.entries.delete(key);
    space.used -= entrySize(key, old);
    return true;
  }

  async list(installationId: string, prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    for (const key of this.data.get(installationId)?.entries.keys() ?? []) if (key.startsWith(prefix)) keys.push(key);
    return keys.sort();
  }

  async usage(installationId: string): Promise<number> {
    return this.data.get(installationId)?.used ?? 0;
  }

  async clear(installationId: string): Promise<void> {
    this.data.delete(installationId);
  }
}
