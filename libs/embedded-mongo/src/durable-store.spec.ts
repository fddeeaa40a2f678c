import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from './catalog.js';
import { DataDirLockedError, DurableStore, encodeRecord, readRecords } from './durable-store.js';

describe('journal record framing', () => {
  it('round-trips records and stops at the first damaged one', () => {
    const a = encodeRecord({ op: 'i', ns: 'a.b', doc: { _id: 1 } });
    const b = encodeRecord({ op: 'd', ns: 'a.b', id: 1 });
    const ok = readRecords(Buffer.concat([a, b]));
    expect(ok).toMatchObject({ corrupt: false, validBytes: a.length + b.length });
    expect(ok.records).toHaveLength(2);

    const torn = readRecords(Buffer.concat([a, b.subarray(0, b.length - 1)]));
    expect(torn).toMatchObject({ corrupt: true, validBytes: a.length });
    const flipped = Buffer.concat([a, b]);
    flipped[a.length + 12] ^= 1;
    expect(readRecords(flipped)).toMatchObject({ corrupt: true, validBytes: a.length });
    expect(readRecords(Buffer.concat([a, Buffer.from([1, 2, 3])]))).toMatchObject({
      corrupt: true,
      validBytes: a.length,
    });
  });

  it('encodes records larger than the BSON encoder default buffer (big transactions)', () => {
    const ops = Array.from({ length: 3 }, (_, i) => ({
      op: 'i',
      ns: 'a.b',
      doc: { _id: i, s: 'x'.repeat(7 * 1024 * 1024) },
    }));
    const rec = encodeRecord({ op: 'txn', ops });
    const { records, corrupt } = readRecords(rec);
    expect(corrupt).toBe(false);
    expect((records[0].ops as unknown[]).length).toBe(3);
  });
});

describe('group commit', () => {
  it('acknowledges concurrent appends only after an fsync, sharing fsyncs between them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'embedded-mongo-gc-'));
    try {
      const store = await DurableStore.open(dir, new Catalog());
      const acked: number[] = [];
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store.append([{ op: 'i', ns: 'a.b', doc: { _id: i } }]).then(() => {
            // At acknowledgement time at least one fsync has completed after this record was queued.
            expect(store.stats.fsyncs).toBeGreaterThan(0);
            acked.push(i);
          }),
        ),
      );
      expect(acked).toHaveLength(200);
      expect(store.stats.appends).toBe(200);
      expect(store.stats.fsyncs).toBeLessThan(20);
      await store.close();

      const catalog = new Catalog();
      const reopened = await DurableStore.open(dir, catalog);
      expect(catalog.get('a.b')?.docs.size).toBe(200);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('data directory lock', () => {
  it('refuses a directory held by a live process, and takes over one whose owner is gone or silent', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'embedded-mongo-lock-'));
    const lock = path.join(dir, 'mongod.lock');
    try {
      // A live pid (our parent) that keeps its lock fresh: the directory is in use.
      writeFileSync(lock, JSON.stringify({ pid: process.ppid }));
      await expect(DurableStore.open(dir, new Catalog())).rejects.toBeInstanceOf(DataDirLockedError);
      // The same pid but a lock untouched for minutes: a recycled pid, so the lock is stale.
      const old = new Date(Date.now() - 5 * 60_000);
      utimesSync(lock, old, old);
      const store = await DurableStore.open(dir, new Catalog());
      // Within one process the directory cannot be opened twice either.
      await expect(DurableStore.open(dir, new Catalog())).rejects.toBeInstanceOf(DataDirLockedError);
      await store.close();
      // A dead pid: stale at once.
      writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345 }));
      await (await DurableStore.open(dir, new Catalog())).close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
