import { Schema } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { findLeanById, findLeanByIds } from './object-id.js';
import { useTestDatabase } from './testing.js';

interface ThingDoc {
  name: string;
}

const db = useTestDatabase('object_id');
const name = (doc: { name: string }) => doc.name;
let things: Awaited<ReturnType<typeof db.model<ThingDoc>>>;
let ids: string[];

beforeAll(async () => {
  things = await db.model<ThingDoc>('Thing', new Schema<ThingDoc>({ name: String }));
  const made = await things.create([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  ids = made.map((doc) => String(doc._id));
});

describe('findLeanById', () => {
  it('maps the document the id names, and is null for an unknown id or one that is not an ObjectId', async () => {
    expect(await findLeanById(things, ids[1], name)).toBe('b');
    expect(await findLeanById(things, 'f'.repeat(24), name)).toBeNull();
    expect(await findLeanById(things, 'not-an-id', name)).toBeNull();
  });
});

describe('findLeanByIds', () => {
  it('maps the documents the ids name, passing over unknown ids and those that are not ObjectIds', async () => {
    const found = await findLeanByIds(things, [ids[2], 'not-an-id', 'f'.repeat(24), ids[0]], name);
    expect(found.sort()).toEqual(['a', 'c']);
    expect(await findLeanByIds(things, ['not-an-id'], name)).toEqual([]);
    expect(await findLeanByIds(things, [], name)).toEqual([]);
  });
});
