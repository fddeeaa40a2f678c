import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { checkKey, encodeValue, entrySize, KeyedMutex, type PluginStorage, quotaError } from '@app/runtime';
import type { Model } from 'mongoose';
import { PluginStorageEntryDoc, PluginStorageUsageDoc } from './plugin-storage.schema.js';

const entryId = (installationId: string, key: string) => JSON.stringify([installationId, key]);

/**
 * The smallest string above every string that starts with `prefix`, or null when none is safe to compute (the
 * last character is at or above the surrogate range, where UTF-16 and the server's UTF-8 order part ways).
 */
export function prefixUpperBound(prefix: string): string | null {
  if (!prefix) return null;
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last >= 0xd7ff) return null;
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/**
 * `context.storage` of the runtime on MongoDB (the PluginStorage interface of @app/runtime). Reads and lists are
 * index lookups and range scans; the quota check reads a per-installation usage counter, which every write moves
 * with an atomic, conditional `$inc`, so no operation scans the installation's documents (issue 11: with 50,000
 * keys, each `set` and `list` used to).
 *
 * Writes of one installation are serialised in this process (an installation is hosted by one node at a time),
 * so the read of an entry's old size and the counter update cannot interleave. A growing write reserves its bytes
 * before it writes and gives them back if the write fails; a shrinking one releases them after. A crash between
 * the two leaves the counter high, never low, so the quota is never exceeded; `recount` repairs it, and a missing
 * counter (data written before counters existed) is recounted once on first use.
 */
@Injectable()
export class PluginStorageRepository implements PluginStorage {
  private readonly mutex = new KeyedMutex();

  constructor(
    @InjectModel(PluginStorageEntryDoc.name) private readonly entries: Model<PluginStorageEntryDoc>,
    @InjectModel(PluginStorageUsageDoc.name) private readonly counters: Model<PluginStorageUsageDoc>,
  ) {}

  async get(installationId: string, key: string): Promise<unknown> {
    checkKey(key);
    const doc = await this.entries
      .findById(entryId(installationId, key), { value: 1 })
      .lean<{ value: string }>()
      .exec();
    return doc ? (JSON.parse(doc.value) as unknown) : undefined;
  }

  async set(installationId: string, key: string, value: unknown, quotaBytes: number): Promise<void> {
    checkKey(key);
    const json = encodeValue(value);
    const size = entrySize(key, json);
    await this.mutex.run(installationId, async () => {
      const old = await this.entries
        .findById(entryId(installationId, key), { size: 1 })
        .lean<{ size: number }>()
        .exec();
      const delta = size - (old?.size ?? 0);
      if (delta > 0) await this.reserve(installationId, delta, quotaBytes);
      try {
        await this.entries
          .updateOne(
            { _id: entryId(installationId, key) },
            { $set: { installation_id: installationId, key, value: json, size, updated_at: new Date() } },
            { upsert: true },
          )
          .exec();
      } catch (err) {
        if (delta > 0) await this.move(installationId, -delta);
        throw err;
      }
      if (delta < 0) await this.move(installationId, delta);
    });
  }

  async delete(installationId: string, key: string): Promise<boolean> {
    checkKey(key);
    return this.mutex.run(installationId, async () => {
      const doc = await this.entries
        .findOneAndDelete({ _id: entryId(installationId, key) }, { projection: { size: 1 } })
        .lean<{ size: number }>()
        .exec();
      if (!doc) return false;
      await this.move(installationId, -doc.size);
      return true;
    });
  }

  /** Keys starting with `prefix`, sorted: a range scan of the installation_key index. */
  async list(installationId: string, prefix = ''): Promise<string[]> {
    const filter: Record<string, unknown> = { installation_id: installationId };
    if (prefix) {
      const upper = prefixUpperBound(prefix);
      filter.key = upper === null ? { $gte: prefix } : { $gte: prefix, $lt: upper };
    }
    const docs = await this.entries.find(filter, { key: 1 }).sort({ key: 1 }).lean<Array<{ key: string }>>().exec();
    return docs
      .map((d) => d.key)
      .filter((k) => k.startsWith(prefix))
      .sort();
  }

  async usage(installationId: string): Promise<number> {
    const counter = await this.counters.findById(installationId).lean<{ bytes: number }>().exec();
    if (counter) return counter.bytes;
    return this.mutex.run(installationId, () => this.recount(installationId));
  }

  async clear(installationId: string): Promise<void> {
    await this.mutex.run(installationId, async () => {
      await this.entries.deleteMany({ installation_id: installationId }).exec();
      await this.counters.deleteOne({ _id: installationId }).exec();
    });
  }

  /** Sets the counter from the entries themselves (a scan: for repair and for counters that do not exist yet). */
  async recount(installationId: string): Promise<number> {
    const docs = await this.entries
      .find({ installation_id: installationId }, { size: 1 })
      .lean<Array<{ size: number }>>()
      .exec();
    const bytes = docs.reduce((sum, d) => sum + d.size, 0);
    await this.counters.updateOne({ _id: installationId }, { $set: { bytes } }, { upsert: true }).exec();
    return bytes;
  }

  /** Takes `delta` bytes from the quota, atomically, or throws LIMIT_EXCEEDED leaving the counter as it was. */
  private async reserve(installationId: string, delta: number, quotaBytes: number): Promise<void> {
    const filter = { _id: installationId, bytes: { $lte: quotaBytes - delta } };
    let res = await this.counters.updateOne(filter, { $inc: { bytes: delta } }).exec();
    if (res.matchedCount === 0 && !(await this.counters.exists({ _id: installationId }))) {
      await this.recount(installationId);
      res = await this.counters.updateOne(filter, { $inc: { bytes: delta } }).exec();
    }
    if (res.matchedCount === 0) {
      const used = (await this.counters.findById(installationId).lean<{ bytes: number }>().exec())?.bytes ?? 0;
      throw quotaError(used, delta, quotaBytes);
    }
  }

  /** Moves the counter by `delta` (after a write); recounts when there is no counter. */
  private async move(installationId: string, delta: number): Promise<void> {
    const res = await this.counters.updateOne({ _id: installationId }, { $inc: { bytes: delta } }).exec();
    if (res.matchedCount === 0) await this.recount(installationId);
  }
}
