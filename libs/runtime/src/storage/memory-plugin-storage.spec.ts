import { describe, expect, it } from 'vitest';
import { MemoryPluginStorage } from './memory-plugin-storage.js';

describe('MemoryPluginStorage usage counter', () => {
  it('tracks usage through sets, overwrites, deletes and clears without scanning', async () => {
    const storage = new MemoryPluginStorage();
    await storage.set('i', 'a', 'xx', 1000); // 1 + 4 bytes
    await storage.set('i', 'bb', [1, 2], 1000); // 2 + 5
    expect(await storage.usage('i')).toBe(12);
    await storage.set('i', 'a', 'x', 1000); // 1 + 3
    expect(await storage.usage('i')).toBe(11);
    expect(await storage.delete('i', 'bb')).toBe(true);
    expect(await storage.delete('i', 'bb')).toBe(false);
    expect(await storage.usage('i')).toBe(4);
    await storage.clear('i');
    expect(await storage.usage('i')).toBe(0);
  });

  it('keeps 50 000 keys within the quota by the counter alone', async () => {
    const storage = new MemoryPluginStorage();
    for (let i = 0; i < 50_000; i++) await storage.set('i', `k${i}`, i, 10_000_000);
    const used = await storage.usage('i');
    const error = await storage.set('i', 'one-more', 'x'.repeat(64), used + 10).catch((e: Error) => e);
    expect((error as { code?: string }).code).toBe('LIMIT_EXCEEDED');
    expect(await storage.usage('i')).toBe(used);
  });
});
