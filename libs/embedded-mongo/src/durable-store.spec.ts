import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from './catalog.js';
import { LOCK_FILE } from './data-dir-lock.js';
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
  it('is not held by a lock file alone: a pid of another live program does not own the directory', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'embedded-mongo-lock-'));
    try {
      // Our parent is alive but is no engine (the situation of a recycled pid after a container restart).
      writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid }));
      const store = await DurableStore.open(dir, new Catalog());
      // Within one process the directory cannot be opened twice.
      await expect(DurableStore.open(dir, new Catalog())).rejects.toBeInstanceOf(DataDirLockedError);
      await store.close();
      // Released on close: the next open succeeds.
      await (await DurableStore.open(dir, new Catalog())).close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('file modes', () => {
  it('creates the data directory 0700 and every file in it 0600, and tightens files left wider', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'embedded-mongo-modes-'));
    const dir = path.join(parent, 'data', 'nested');
    const mode = (p: string): number => statSync(p).mode & 0o777;
    try {
      const catalog = new Catalog();
      let store = await DurableStore.open(dir, catalog, undefined, { compactThresholdBytes: 1 });
      expect(mode(dir)).toBe(0o700);
      expect(mode(path.join(parent, 'data'))).toBe(0o700);
      expect(mode(path.join(dir, LOCK_FILE))).toBe(0o600);
      await store.append([{ op: 'i', ns: 'a.b', doc: { _id: 1, hash: 'scrypt$…' } }]);
      await store.compact();
      await store.append([{ op: 'i', ns: 'a.b', doc: { _id: 2 } }]);
      await store.close();
      const files = readdirSync(dir);
      expect(files).toContain('snapshot.bson');
      expect(files.some((f) => f.startsWith('journal-'))).toBe(true);
      for (const f of files) expect({ f, mode: mode(path.join(dir, f)) }).toEqual({ f, mode: 0o600 });

      // A journal made world-readable by hand (or by an older version) is restricted again on open.
      const journal = files.find((f) => f.startsWith('journal-'));
      chmodSync(path.join(dir, journal ?? ''), 0o644);
      store = await DurableStore.open(dir, new Catalog());
      expect(mode(path.join(dir, journal ?? ''))).toBe(0o600);
      await store.close();
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('renamed collections', () => {
  it('replay as renamed: documents, indexes and the UUID under the new name, nothing under the old', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'embedded-mongo-rename-'));
    try {
      const catalog = new Catalog();
      const store = await DurableStore.open(dir, catalog);
      const coll = catalog.create('a.src');
      coll.insert({ _id: 1, u: 'x' });
      coll.createIndex({ v: 2, key: { u: 1 }, name: 'u_1', unique: true });
      await store.append([
        { op: 'cc', ns: 'a.src', options: {}, uuid: coll.uuid },
        { op: 'i', ns: 'a.src', doc: { _id: 1, u: 'x' } },
        { op: 'ci', ns: 'a.src', spec: { v: 2, key: { u: 1 }, name: 'u_1', unique: true } },
        { op: 'cc', ns: 'a.dst', options: {} },
        { op: 'i', ns: 'a.dst', doc: { _id: 7 } },
        { op: 'rc', from: 'a.src', to: 'a.dst' },
      ]);
      await store.close();

      const reopened = new Catalog();
      const again = await DurableStore.open(dir, reopened);
      expect(reopened.get('a.src')).toBeUndefined();
      const dst = reopened.get('a.dst');
      expect([...(dst?.docs.values() ?? [])]).toEqual([{ _id: 1, u: 'x' }]);
      expect(dst?.indexes.map((i) => i.name)).toEqual(['_id_', 'u_1']);
      expect(dst?.uuid.toHexString()).toBe(coll.uuid.toHexString());
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
