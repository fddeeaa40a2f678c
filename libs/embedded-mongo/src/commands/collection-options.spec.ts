import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../engine.js';
import { commandRunner } from '../testing/engine-harness.js';
import type { Doc } from '../paths.js';

describe('collection options of create: clusteredIndex, expireAfterSeconds, changeStreamPreAndPostImages', () => {
  let engine: Engine;
  const run = commandRunner(() => engine, 'opts');
  const firstBatch = async (cmd: Doc): Promise<Doc[]> => {
    const reply = await run(cmd);
    expect(reply).toMatchObject({ ok: 1 });
    return (reply.cursor as { firstBatch: Doc[] }).firstBatch;
  };

  beforeEach(() => {
    engine = new Engine({ host: '127.0.0.1', port: 0, replSetName: 'rs' });
  });
  afterEach(() => engine.stop());

  it('creates a clustered collection, listed with its clustered index instead of an _id index', async () => {
    const created = await run({ create: 'events', clusteredIndex: { key: { _id: 1 }, unique: true, name: 'by_id' } });
    expect(created).toMatchObject({ ok: 1 });
    const [info] = await firstBatch({ listCollections: 1, filter: { name: 'events' } });
    expect(info.options).toEqual({ clusteredIndex: { v: 2, key: { _id: 1 }, name: 'by_id', unique: true } });
    expect(info).not.toHaveProperty('idIndex');
    expect(await firstBatch({ listIndexes: 'events' })).toEqual([
      { v: 2, key: { _id: 1 }, name: 'by_id', unique: true, clustered: true },
    ]);

    await run({ insert: 'events', documents: [{ _id: 5, kind: 'a' }] });
    const dup = await run({ insert: 'events', documents: [{ _id: 5, kind: 'b' }] });
    expect((dup.writeErrors as Doc[])[0]).toMatchObject({ code: 11000 });
    await run({ create: 'plain', clusteredIndex: { key: { _id: 1 }, unique: true } });
    const [plain] = await firstBatch({ listIndexes: 'plain' });
    expect(plain).toMatchObject({ name: '_id_', clustered: true });
  });

  it('refuses clustered specs and a TTL that mongod 7.0 refuses, with its codes', async () => {
    const cases: [Doc, number][] = [
      [{ clusteredIndex: { key: { _id: 1 }, unique: false } }, 5979700],
      [{ clusteredIndex: { key: { at: 1 }, unique: true } }, 197],
      [{ clusteredIndex: { key: { _id: 1 } } }, 40414],
      [{ clusteredIndex: true }, 5979703],
      [{ clusteredIndex: { key: { _id: 1 }, unique: true }, expireAfterSeconds: -5 }, 72],
      [{ expireAfterSeconds: 30 }, 72],
      [{ changeStreamPreAndPostImages: {} }, 40414],
      [{ changeStreamPreAndPostImages: true }, 14],
    ];
    for (const [options, code] of cases) {
      const reply = await run({ create: 'refused', ...options });
      expect({ options, code: reply.code }).toEqual({ options, code });
    }
    expect(await firstBatch({ listCollections: 1 })).toEqual([]);
  });

  it("expires a clustered collection's documents by a date _id older than expireAfterSeconds", async () => {
    await run({ create: 'sessions', clusteredIndex: { key: { _id: 1 }, unique: true }, expireAfterSeconds: 60 });
    const now = Date.now();
    await run({
      insert: 'sessions',
      documents: [
        { _id: new Date(now - 120_000), v: 'old' },
        { _id: new Date(now - 1_000), v: 'recent' },
        { _id: 'not-a-date', v: 'kept' },
      ],
    });
    engine.expireTtl();
    const left = await firstBatch({ find: 'sessions', filter: {}, projection: { _id: 0, v: 1 } });
    expect(left.map((d) => d.v).sort()).toEqual(['kept', 'recent']);

    await run({ collMod: 'sessions', expireAfterSeconds: 'off' });
    await run({ insert: 'sessions', documents: [{ _id: new Date(now - 600_000), v: 'older' }] });
    engine.expireTtl();
    expect(await firstBatch({ find: 'sessions', filter: { v: 'older' } })).toHaveLength(1);
  });

  it('records changeStreamPreAndPostImages as mongod lists it', async () => {
    expect(await run({ create: 'audit', changeStreamPreAndPostImages: { enabled: true } })).toMatchObject({ ok: 1 });
    const [info] = await firstBatch({ listCollections: 1, filter: { name: 'audit' } });
    expect(info.options).toEqual({ changeStreamPreAndPostImages: { enabled: true } });
  });
});
