import { ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { applyUpdate, upsertDocument, validateUpdate } from './update.js';
import { codeOf } from './testing/error-code.js';

const base = {
  _id: 1,
  a: 1,
  arr: [3, 1, 2],
  sub: { x: 1 },
  items: [
    { k: 1, v: 'a' },
    { k: 2, v: 'b' },
  ],
};

describe('update semantics', () => {
  it('applies operators without touching the original document', () => {
    const before = JSON.stringify(base);
    expect(applyUpdate(base, { $push: { arr: { $each: [5, 0], $sort: 1, $slice: 3 } } })?.arr).toEqual([0, 1, 2]);
    expect(applyUpdate(base, { $inc: { 'deep.n': 1 } })?.deep).toEqual({ n: 1 });
    expect(applyUpdate(base, { $set: { 'items.$[].v': 'z' } })?.items).toEqual([
      { k: 1, v: 'z' },
      { k: 2, v: 'z' },
    ]);
    expect(applyUpdate(base, { $set: { 'items.$.v': 'Q' } }, { query: { 'items.k': 2 } })?.items).toEqual([
      { k: 1, v: 'a' },
      { k: 2, v: 'Q' },
    ]);
    expect(applyUpdate(base, [{ $set: { total: { $add: ['$a', 10] } } }, { $unset: 'sub' }])).toMatchObject({
      total: 11,
    });
    expect(JSON.stringify(base)).toBe(before);
  });

  it('reports no-op updates as unmodified', () => {
    expect(applyUpdate(base, { $set: { a: 1 } })).toBeUndefined();
    expect(applyUpdate(base, { $addToSet: { arr: 1 } })).toBeUndefined();
    expect(applyUpdate(base, { $setOnInsert: { a: 2 } })).toBeUndefined();
  });

  it('rejects what MongoDB rejects, with its codes', () => {
    expect(codeOf(() => applyUpdate({ _id: 1, s: 'x' }, { $inc: { s: 1 } }))).toBe(14);
    expect(codeOf(() => applyUpdate(base, { $inc: { a: 'x' } }))).toBe(14);
    expect(codeOf(() => applyUpdate(base, { $push: { a: 1 } }))).toBe(2);
    expect(codeOf(() => applyUpdate(base, { $set: { a: 1 }, $inc: { a: 1 } }))).toBe(40);
    expect(codeOf(() => applyUpdate(base, { $set: { _id: 2 } }))).toBe(66);
    expect(codeOf(() => applyUpdate(base, { _id: 2, a: 1 }))).toBe(66);
    expect(codeOf(() => validateUpdate({ $set: { a: 1 }, b: 2 }))).toBe(9);
    expect(codeOf(() => validateUpdate({ $frob: { a: 1 } }))).toBe(9);
  });

  it('refuses update paths mongod cannot take, whether or not a document matches', () => {
    expect(codeOf(() => validateUpdate({ $set: { '': 1 } }))).toBe(56);
    expect(codeOf(() => validateUpdate({ $inc: { 'hits..today': 1 } }))).toBe(56);
    expect(codeOf(() => validateUpdate({ $unset: { 'meta.': '' } }))).toBe(56);
    expect(codeOf(() => validateUpdate({ $rename: { old: 'old' } }))).toBe(2);
    expect(codeOf(() => validateUpdate({ $rename: { old: 7 } }))).toBe(2);
    expect(codeOf(() => validateUpdate({ $rename: { old: 'x..y' } }))).toBe(56);
    expect(codeOf(() => validateUpdate({ $set: { 'meta.tags': 1 }, $rename: { old: 'renamed' } }))).toBeUndefined();
  });

  it('refuses to create a field through a scalar, a null or a named field of an array (28)', () => {
    const doc = { _id: 4, label: 'k', none: null, list: [{ w: 1 }, 5], box: { in: 2 } };
    expect(codeOf(() => applyUpdate(doc, { $set: { 'label.sub': 1 } }))).toBe(28);
    expect(codeOf(() => applyUpdate(doc, { $inc: { 'none.n': 1 } }))).toBe(28);
    expect(codeOf(() => applyUpdate(doc, { $set: { 'list.w': 1 } }))).toBe(28);
    expect(codeOf(() => applyUpdate(doc, { $push: { 'list.1.more': 1 } }))).toBe(28);
    expect(codeOf(() => applyUpdate(doc, { $rename: { box: 'label.box' } }))).toBe(28);
    expect(applyUpdate(doc, { $set: { 'list.0.w': 3, 'box.in': 4, 'fresh.deep.n': 1 } })).toMatchObject({
      list: [{ w: 3 }, 5],
      box: { in: 4 },
      fresh: { deep: { n: 1 } },
    });
    expect(applyUpdate(doc, { $unset: { 'label.sub': '' } })).toBeUndefined();
  });

  it('lets an update pipeline hold only the stages mongod allows there (72)', () => {
    expect(codeOf(() => validateUpdate([{ $match: { a: 1 } }]))).toBe(72);
    expect(codeOf(() => validateUpdate([{ $set: { a: 1 } }, { $group: { _id: null } }]))).toBe(72);
    expect(codeOf(() => validateUpdate([{ $set: { a: 1 }, $unset: 'b' }]))).toBe(40323);
    const allowed = [
      { $addFields: { a: 1 } },
      { $set: { b: 1 } },
      { $project: { a: 1, b: 1 } },
      { $unset: 'a' },
      { $replaceRoot: { newRoot: { $mergeObjects: ['$$ROOT', { c: 1 }] } } },
      { $replaceWith: '$$ROOT' },
    ];
    expect(codeOf(() => validateUpdate(allowed))).toBeUndefined();
  });

  it('seeds upserts from equality predicates and applies $setOnInsert', () => {
    const doc = upsertDocument(
      { a: { $in: [1] }, b: 2, 'n.m': 3, c: { $eq: 4 }, $and: [{ d: 5 }], $or: [{ e: 6 }] },
      { $set: { s: 1 }, $setOnInsert: { created: true } },
    );
    expect(doc._id).toBeInstanceOf(ObjectId);
    expect(Object.keys(doc)[0]).toBe('_id');
    const { _id, ...rest } = doc;
    expect(rest).toEqual({ b: 2, n: { m: 3 }, c: 4, d: 5, s: 1, created: true });
    expect(upsertDocument({ _id: 'y', q: 1 }, { whole: 1 })).toEqual({ _id: 'y', whole: 1 });
    expect(upsertDocument({ _id: 'x' }, { $inc: { n: 1 } })).toEqual({ _id: 'x', n: 1 });
  });
});
