import type { Collection } from 'mongodb';
import { checkKey, encodeValue, entrySize, KeyedMutex, quotaError, type PluginStorage } from './plugin-storage.js';

/** One document per key. `value` holds JSON text so plugin data never meets Mongo's key rules ($, dots). */
export interface PluginStorageDocument {
  _id: string;
  installation_id: string;
  key: string;
  value: string;
  size: number;
  updated_at: Date;
}

/**
 * PluginStorage on a MongoDB collection (driver-level, no Mongoose: the runtime lib stays framework-free).
 * Sticks to the portable subset: find/updateOne/deleteOne/deleteMany with equality filters and projections.
 * The quota check sums the installation's `size` fields and is serialised per installation in this process;
 * an installation is hosted by one node at a time, so that is enough.
 */
export class MongoPluginStorage implements PluginStorage {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly collection: Collection<PluginStorageDocument>) {}

  /** Creates the index used by list/usage/clear; call once at startup. */
  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ installation_id: 1, key: 1 }, { name: 'installation_key' });
  }

  private id(installationId: string, key: string): string {
    return JSON.stringify([installationId, key]);
  }

  async get(installationId: string, key: string): Promise<unknown> {
    checkKey(key);
    const doc = await this.collection.findOne({ _id: this.id(installationId, key) }, { projection: { value: 1 } });
    return doc ? JSON.parse(doc.value) : undefined;
  }

  async set(installationId: string, key: string, value: unknown, quotaBytes: number): Promise<void> {
    checkKey(key);
    const json = encodeValue(value);
    const size = entrySize(key, json);
    await this.mutex.run(installationId, async () => {
      const sizes = await this.collection
        .find({ installation_id: installationId }, { projection: { key: 1, size: 1 } })
        .toArray();
      let used = 0;
      let old = 0;
      for (const doc of sizes) {
        used += doc.size;
        if (doc.key === key) old = doc.size;
      }
      const delta = size - old;
      if (delta > 0 && used + delta > quotaBytes) throw quotaError(used, delta, quotaBytes);
      await this.collection.updateOne(
        { _id: this.id(installationId, key) },
        { $set: { installation_id: installationId, key, value: json, size, updated_at: new Date() } },
        { upsert: true },
      );
    });
  }

  async delete(installationId: string, key: string): Promise<boolean> {
    checkKey(key);
    return this.mutex.run(installationId, async () => {
      const result = await this.collection.deleteOne({ _id: this.id(installationId, key) });
      return result.deletedCount === 1;
    });
  }

  async list(installationId: string, prefix = ''): Promise<string[]> {
    const docs = await this.collection.find({ installation_id: installationId }, { projection: { key: 1 } }).toArray();
    return docs
      .map((d) => d.key)
      .filter((k) => k.startsWith(prefix))
      .sort();
  }

  async usage(installationId: string): Promise<number> {
    const docs = await this.collection.find({ installation_id: installationId }, { projection: { size: 1 } }).toArray();
    return docs.reduce((sum, d) => sum + d.size, 0);
  }

  async clear(installationId: string): Promise<void> {
    await this.mutex.run(installationId, () => this.collection.deleteMany({ installation_id: installationId }));
  }
}
