import { checkKey, encodeValue, entrySize, quotaError, type PluginStorage } from './plugin-storage.js';

/** In-process PluginStorage for tests and single-process development. */
export class MemoryPluginStorage implements PluginStorage {
  private readonly data = new Map<string, Map<string, string>>();

  private space(installationId: string): Map<string, string> {
    let space = this.data.get(installationId);
    if (!space) this.data.set(installationId, (space = new Map()));
    return space;
  }

  async get(installationId: string, key: string): Promise<unknown> {
    checkKey(key);
    const text = this.data.get(installationId)?.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  async set(installationId: string, key: string, value: unknown, quotaBytes: number): Promise<void> {
    checkKey(key);
    const json = encodeValue(value);
    const space = this.space(installationId);
    const old = space.get(key);
    const used = this.used(installationId);
    const delta = entrySize(key, json) - (old === undefined ? 0 : entrySize(key, old));
    if (delta > 0 && used + delta > quotaBytes) throw quotaError(used, delta, quotaBytes);
    space.set(key, json);
  }

  async delete(installationId: string, key: string): Promise<boolean> {
    checkKey(key);
    return this.data.get(installationId)?.delete(key) ?? false;
  }

  async list(installationId: string, prefix = ''): Promise<string[]> {
    return [...(this.data.get(installationId)?.keys() ?? [])].filter((k) => k.startsWith(prefix)).sort();
  }

  async usage(installationId: string): Promise<number> {
    return this.used(installationId);
  }

  private used(installationId: string): number {
    let total = 0;
    for (const [key, json] of this.data.get(installationId) ?? []) total += entrySize(key, json);
    return total;
  }

  async clear(installationId: string): Promise<void> {
    this.data.delete(installationId);
  }
}
