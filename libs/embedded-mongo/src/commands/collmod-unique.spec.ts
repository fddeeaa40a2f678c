import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../engine.js';
import { commandRunner } from '../testing/engine-harness.js';
import type { Doc } from '../paths.js';

describe('collMod converting an index to unique (prepareUnique, then unique: true)', () => {
  let engine: Engine;
  const run = commandRunner(() => engine, 'cm');
  const byKey = { keyPattern: { sku: 1 } };

  beforeEach(async () => {
    engine = new Engine({ host: '127.0.0.1', port: 0, replSetName: 'rs' });
    await run({
      insert: 'parts',
      documents: [
        { _id: 'p1', sku: 'A' },
        { _id: 'p2', sku: 'B' },
        { _id: 'p3', sku: 'A' },
        { _id: 'p4', sku: 'C' },
      ],
    });
    await run({ createIndexes: 'parts', indexes: [{ key: { sku: 1 }, name: 'sku_1' }] });
  });
  afterEach(() => engine.stop());

  it('refuses new duplicate keys once prepared, leaving the duplicates already held', async () => {
    const prepared = await run({ collMod: 'parts', index: { ...byKey, prepareUnique: true } });
    expect(prepared).toMatchObject({ ok: 1, prepareUnique_old: false, prepareUnique_new: true });

    const dup = await run({ insert: 'parts', documents: [{ _id: 'p5', sku: 'B' }] });
    expect((dup.writeErrors as Doc[])[0]).toMatchObject({ code: 11000 });
    expect(await run({ insert: 'parts', documents: [{ _id: 'p6', sku: 'D' }] })).toMatchObject({ n: 1 });
    // A held duplicate may change other fields; moving a document onto a held key is refused.
    const touched = await run({ update: 'parts', updates: [{ q: { _id: 'p3' }, u: { $set: { bin: 7 } } }] });
    expect(touched).toMatchObject({ ok: 1, nModified: 1 });
    const moved = await run({ update: 'parts', updates: [{ q: { _id: 'p4' }, u: { $set: { sku: 'D' } } }] });
    expect((moved.writeErrors as Doc[])[0]).toMatchObject({ code: 11000 });
  });

  it('fails with 359 listing the documents sharing a key, and converts once they are resolved', async () => {
    await run({ collMod: 'parts', index: { ...byKey, prepareUnique: true } });
    const refused = await run({ collMod: 'parts', index: { ...byKey, unique: true } });
    expect(refused).toMatchObject({ ok: 0, code: 359, codeName: 'CannotConvertIndexToUnique' });
    expect(refused.violations).toEqual([{ ids: ['p1', 'p3'] }]);

    await run({ delete: 'parts', deletes: [{ q: { _id: 'p3' }, limit: 1 }] });
    expect(await run({ collMod: 'parts', index: { name: 'sku_1', unique: true } })).toMatchObject({
      ok: 1,
      unique_new: true,
    });
    const listed = await run({ listIndexes: 'parts' });
    const sku = (listed.cursor as { firstBatch: Doc[] }).firstBatch.find((i) => i.name === 'sku_1');
    expect(sku).toEqual({ v: 2, key: { sku: 1 }, name: 'sku_1', unique: true });
  });

  it('refuses unique: true before prepareUnique (72) and unique: false (2)', async () => {
    expect(await run({ collMod: 'parts', index: { ...byKey, unique: true } })).toMatchObject({ code: 72 });
    expect(await run({ collMod: 'parts', index: { ...byKey, unique: false } })).toMatchObject({ code: 2 });
  });
});
