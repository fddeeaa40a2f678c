import { useTestDatabase } from '@app/database/testing.js';
import { RuntimeError } from '@app/runtime';
import fc from 'fast-check';
import type { Model } from 'mongoose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prefixUpperBound, PluginStorageRepository } from './plugin-storage.repository.js';
import {
  PluginStorageEntryDoc,
  PluginStorageEntrySchema,
  PluginStorageUsageDoc,
  PluginStorageUsageSchema,
} from './plugin-storage.schema.js';

// The Mongo-backed half of the runtime's storage suite (the memory half stays in libs/runtime), on the embedded
// engine, or on the MongoDB at MONGODB_TEST_URI.
const db = useTestDatabase('plugin_storage');
let storage: PluginStorageRepository;
let counters: Model<PluginStorageUsageDoc>;
let n = 0;
const fresh = () => `installation-${++n}`;
const codeOf = (err: unknown) => (err as RuntimeError).code;

/** The queries the repository sends to the entries collection while `work` runs. */
async function queriesDuring(work: () => Promise<unknown>) {
  const seen: Array<{ collection: string; method: string; query: Record<string, unknown> }> = [];
  db.connection.set('debug', (collection: string, method: string, query: Record<string, unknown>) => {
    seen.push({ collection, method, query });
  });
  try {
    await work();
  } finally {
    db.connection.set('debug', false);
  }
  return seen.filter((q) => q.collection === 'plugin_storage');
}

beforeAll(async () => {
  counters = await db.model(PluginStorageUsageDoc.name, PluginStorageUsageSchema);
  storage = new PluginStorageRepository(await db.model(PluginStorageEntryDoc.name, PluginStorageEntrySchema), counters);
});

afterEach(() => db.connection.set('debug', false));

describe('PluginStorageRepository', () => {
  it('stores, reads, lists and deletes JSON values per installation', async () => {
    const [a, b] = [fresh(), fresh()];
    expect(await storage.get(a, 'missing')).toBeUndefined();
    await storage.set(a, 'counter:x', 1, 1000);
    await storage.set(a, 'counter:y', { nested: [1, 'two', null, true] }, 1000);
    await storage.set(a, 'other', 'text', 1000);
    await storage.set(b, 'counter:x', 99, 1000);
    expect(await storage.get(a, 'counter:y')).toEqual({ nested: [1, 'two', null, true] });
    expect(await storage.list(a)).toEqual(['counter:x', 'counter:y', 'other']);
    expect(await storage.list(a, 'counter:')).toEqual(['counter:x', 'counter:y']);
    expect(await storage.get(b, 'counter:x')).toBe(99);
    expect([await storage.delete(a, 'counter:x'), await storage.delete(a, 'counter:x')]).toEqual([true, false]);
    expect(await storage.list(a)).toEqual(['counter:y', 'other']);
    await storage.clear(a);
    expect([await storage.list(a), await storage.list(b), await storage.usage(a)]).toEqual([[], ['counter:x'], 0]);
  });

  it('keeps keys and values that Mongo could not hold as field names', async () => {
    const id = fresh();
    const value = { $set: { 'a.b': 1 }, 'dotted.key': true, __proto__x: 1 };
    await storage.set(id, '$weird.key', value, 1000);
    expect(await storage.get(id, '$weird.key')).toEqual(value);
  });

  it('counts key + JSON bytes against the quota, and lets a value shrink', async () => {
    const id = fresh();
    await storage.set(id, 'k', 'x'.repeat(40), 49); // 1 + 42 bytes
    expect(await storage.usage(id)).toBe(43);
    const error = await storage.set(id, 'j', 'yyyy', 49).catch((e: unknown) => e); // 7 more: 50 > 49
    expect([error instanceof RuntimeError, codeOf(error), await storage.get(id, 'j')]).toEqual([
      true,
      'LIMIT_EXCEEDED',
      undefined,
    ]);
    await storage.set(id, 'k', 'short', 49);
    await storage.set(id, 'j', 'yyyy', 49);
    expect(await storage.usage(id)).toBe(1 + 7 + 1 + 6);
  });

  it('gives the bytes of a deleted key back to the quota', async () => {
    const id = fresh();
    await storage.set(id, 'a', 'x'.repeat(20), 30);
    await storage.delete(id, 'a');
    await storage.set(id, 'b', 'y'.repeat(20), 30);
    expect(await storage.usage(id)).toBe(1 + 22);
  });

  it('never exceeds the quota under concurrent writes', async () => {
    const id = fresh();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => storage.set(id, `k${i.toString().padStart(2, '0')}`, 'v'.repeat(8), 100)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7); // 13 bytes each, quota 100
    expect(await storage.usage(id)).toBeLessThanOrEqual(100);
  });

  it('rejects empty or oversized keys and values JSON cannot hold', async () => {
    const id = fresh();
    const codes = [
      await storage.set(id, '', 1, 100).catch(codeOf),
      await storage.get(id, 'k'.repeat(513)).catch(codeOf),
      await storage.set(id, 'fn', () => 1, 100).catch(codeOf),
    ];
    expect(codes).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
  });

  it('round-trips arbitrary JSON values', async () => {
    const id = fresh();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 30 }), fc.jsonValue(), async (key, value) => {
        await storage.set(id, key, value, 1_000_000);
        // JSON normalises -0 to 0; compare through JSON like the runtime does.
        expect(await storage.get(id, key)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 40 },
    );
  });

  it('lists exactly the keys with a prefix, whatever characters it ends in (property)', async () => {
    const id = fresh();
    const alphabet = ['a', 'b', 'z', '\u00ff', '\ud7fe', '\ud7ff', '\ue000', '\uffff', '\u{1f600}'];
    const keys = fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 3 }).map((cs) => cs.join(''));
    const stored = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(keys, { maxLength: 6 }), keys, async (toStore, prefix) => {
        for (const key of toStore) {
          await storage.set(id, key, 1, 1_000_000);
          stored.add(key);
        }
        const expected = [...stored].filter((k) => k.startsWith(prefix)).sort();
        expect(await storage.list(id, prefix)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('sets a key without reading the installation’s other entries', async () => {
    const id = fresh();
    for (let i = 0; i < 5; i++) await storage.set(id, `k${i}`, i, 10_000);
    const queries = await queriesDuring(() => storage.set(id, 'k2', 'changed', 10_000));
    expect(queries.map((q) => [q.method, Object.keys(q.query)])).toEqual([
      ['findOne', ['_id']],
      ['updateOne', ['_id']],
    ]);
  });

  it('lists a prefix through a range of the installation’s keys', async () => {
    const id = fresh();
    const queries = await queriesDuring(() => storage.list(id, 'counter:'));
    expect(queries.map((q) => q.query)).toEqual([{ installation_id: id, key: { $gte: 'counter:', $lt: 'counter;' } }]);
  });

  it('counts an installation’s bytes once when its counter is missing, then keeps it', async () => {
    const id = fresh();
    await storage.set(id, 'a', 'xx', 1000);
    await storage.set(id, 'b', 'yyy', 1000);
    await counters.deleteOne({ _id: id });
    await storage.set(id, 'c', 'z', 1000);
    expect(await storage.usage(id)).toBe(1 + 4 + 1 + 5 + 1 + 3);
  });

  it('repairs a counter that drifted', async () => {
    const id = fresh();
    await storage.set(id, 'a', 'xx', 1000);
    await counters.updateOne({ _id: id }, { $set: { bytes: 999 } });
    expect([await storage.recount(id), await storage.usage(id)]).toEqual([5, 5]);
  });
});

describe('prefixUpperBound', () => {
  it('is the prefix with its last character raised by one', () => {
    expect(prefixUpperBound('counter:')).toBe('counter;');
  });

  it('gives up at and above the surrogate range, where UTF-16 and UTF-8 orders differ', () => {
    expect([prefixUpperBound('a\ud7ff'), prefixUpperBound('a\uffff'), prefixUpperBound('')]).toEqual([
      null,
      null,
      null,
    ]);
  });
});
