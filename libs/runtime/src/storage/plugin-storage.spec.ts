import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../runtime-error.js';
import { MemoryPluginStorage } from './memory-plugin-storage.js';
import type { PluginStorage } from './plugin-storage.js';

// The Mongo-backed storage is the app's (apps/api/src/runtime/persistence/plugin-storage.repository.spec.ts).
let n = 0;
const fresh = () => `installation-${++n}`;

describe.each([['memory', () => new MemoryPluginStorage() as PluginStorage]])('%s storage', (_, make) => {
  it('stores, reads, lists and deletes JSON values per installation', async () => {
    const storage = make();
    const a = fresh();
    const b = fresh();
    expect(await storage.get(a, 'missing')).toBeUndefined();
    await storage.set(a, 'counter:x', 1, 1000);
    await storage.set(a, 'counter:y', { nested: [1, 'two', null, true] }, 1000);
    await storage.set(a, 'other', 'text', 1000);
    await storage.set(b, 'counter:x', 99, 1000);
    expect(await storage.get(a, 'counter:y')).toEqual({ nested: [1, 'two', null, true] });
    expect(await storage.list(a)).toEqual(['counter:x', 'counter:y', 'other']);
    expect(await storage.list(a, 'counter:')).toEqual(['counter:x', 'counter:y']);
    expect(await storage.get(b, 'counter:x')).toBe(99);
    expect(await storage.delete(a, 'counter:x')).toBe(true);
    expect(await storage.delete(a, 'counter:x')).toBe(false);
    expect(await storage.list(a)).toEqual(['counter:y', 'other']);
    await storage.clear(a);
    expect(await storage.list(a)).toEqual([]);
    expect(await storage.list(b)).toEqual(['counter:x']);
  });

  it('keeps keys and values that Mongo could not hold as field names', async () => {
    const storage = make();
    const id = fresh();
    const value = { $set: { 'a.b': 1 }, 'dotted.key': true, __proto__x: 1 };
    await storage.set(id, '$weird.key', value, 1000);
    expect(await storage.get(id, '$weird.key')).toEqual(value);
  });

  it('counts key + JSON bytes against the quota, and lets a value shrink', async () => {
    const storage = make();
    const id = fresh();
    await storage.set(id, 'k', 'x'.repeat(40), 49); // 1 + 42 bytes
    expect(await storage.usage(id)).toBe(43);
    const error = await storage.set(id, 'j', 'yyyy', 49).catch((e: unknown) => e); // 7 more: 50 > 49
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe('LIMIT_EXCEEDED');
    expect(await storage.get(id, 'j')).toBeUndefined();
    await storage.set(id, 'k', 'short', 49);
    await storage.set(id, 'j', 'yyyy', 49);
    expect(await storage.usage(id)).toBe(1 + 7 + 1 + 6);
  });

  it('never exceeds the quota under concurrent writes', async () => {
    const storage = make();
    const id = fresh();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => storage.set(id, `k${i.toString().padStart(2, '0')}`, 'v'.repeat(8), 100)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7); // 13 bytes each, quota 100
    expect(await storage.usage(id)).toBeLessThanOrEqual(100);
  });

  it('rejects empty or oversized keys and values JSON cannot hold', async () => {
    const storage = make();
    const id = fresh();
    for (const bad of [() => storage.set(id, '', 1, 100), () => storage.get(id, 'k'.repeat(513))]) {
      expect(((await bad().catch((e: unknown) => e)) as RuntimeError).code).toBe('INVALID_ARGUMENT');
    }
    expect(((await storage.set(id, 'fn', () => 1, 100).catch((e: unknown) => e)) as RuntimeError).code).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('round-trips arbitrary JSON values', async () => {
    const storage = make();
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
});
