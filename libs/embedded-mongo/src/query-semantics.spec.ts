import { Binary, Long, ObjectId, Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import { parseCollation } from './collation.js';
import { compileFilter } from './collection.js';
import type { Doc } from './paths.js';

/** Query semantics where mingo alone differs from MongoDB, corrected by the engine's operator context. */
const oid = new ObjectId();
const docs: Doc[] = [
  {
    _id: 1,
    o: oid,
    b: new Binary(Buffer.from('x')),
    t: new Timestamp({ t: 1, i: 1 }),
    n: 5,
    big: 2 ** 40,
    f: 1.5,
    sub: { a: 1, b: 2 },
  },
  { _id: 2, o: 'str', arr: [oid, 'x'], n: null, sub: { b: 2, a: 1 }, list: [{ a: 1, b: 2 }] },
  { _id: 3, arr: [[1, 2]], f: Long.fromNumber(3) },
];
const ids = (filter: Doc): unknown[] => docs.filter(compileFilter(filter)).map((d) => d._id);

describe('query semantics', () => {
  it('$type recognises BSON classes by name and number', () => {
    expect(ids({ o: { $type: 'objectId' } })).toEqual([1]);
    expect(ids({ o: { $type: 7 } })).toEqual([1]);
    expect(ids({ b: { $type: 'binData' } })).toEqual([1]);
    expect(ids({ t: { $type: 'timestamp' } })).toEqual([1]);
    expect(ids({ arr: { $type: 'objectId' } })).toEqual([2]);
    expect(ids({ arr: { $type: 'array' } })).toEqual([2, 3]);
    expect(ids({ n: { $type: 'null' } })).toEqual([2]);
    expect(ids({ n: { $type: ['int', 'null'] } })).toEqual([1, 2]);
    expect(ids({ big: { $type: 'long' } })).toEqual([1]);
    expect(ids({ f: { $type: 'double' } })).toEqual([1]);
    expect(ids({ f: { $type: 'number' } })).toEqual([1, 3]);
    expect(ids({ o: { $type: 'string' } })).toEqual([2]);
  });

  it('compares embedded documents with field order, as MongoDB does', () => {
    expect(ids({ sub: { a: 1, b: 2 } })).toEqual([1]);
    expect(ids({ sub: { b: 2, a: 1 } })).toEqual([2]);
    expect(ids({ sub: { $ne: { a: 1, b: 2 } } })).toEqual([2, 3]);
    expect(ids({ list: { a: 1, b: 2 } })).toEqual([2]);
    expect(ids({ list: { b: 2, a: 1 } })).toEqual([]);
  });

  it('compares NaN as mongod does: equal to NaN, otherwise false for every range (also under a collation)', () => {
    const nums: Doc[] = [
      { _id: 'nan', v: Number.NaN },
      { _id: 'zero', v: 0 },
      { _id: 'neg', v: -0 },
      { _id: 'long', v: Long.fromNumber(7) },
      { _id: 'arr', v: [Number.NaN, 3] },
      { _id: 'str', v: '5' },
    ];
    const opts = [{}, { collation: parseCollation({ locale: 'en', strength: 2 }) }];
    for (const opt of opts) {
      const got = (filter: Doc): unknown[] => nums.filter(compileFilter(filter, opt)).map((d) => d._id);
      expect(got({ v: { $gte: 0 } })).toEqual(['zero', 'neg', 'long', 'arr']);
      expect(got({ v: { $lte: 0 } })).toEqual(['zero', 'neg']);
      expect(got({ v: { $lt: 5 } })).toEqual(['zero', 'neg', 'arr']);
      expect(got({ v: { $gt: -1, $lt: 7 } })).toEqual(['zero', 'neg', 'arr']);
      expect(got({ v: { $gte: Number.NaN } })).toEqual(['nan', 'arr']);
      expect(got({ v: { $lte: Number.NaN } })).toEqual(['nan', 'arr']);
      expect(got({ v: { $gt: Number.NaN } })).toEqual([]);
      expect(got({ v: { $lt: Long.fromNumber(8) } })).toEqual(['zero', 'neg', 'long', 'arr']);
    }
  });

  it('refuses server-side JavaScript', () => {
    expect(() => compileFilter({ $where: 'this.n == 5' })).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => ids({ $expr: { $function: { body: 'function() { return true }', args: [], lang: 'js' } } })).toThrow();
  });

  it('matches null against missing fields and arrays by element', () => {
    expect(ids({ n: null })).toEqual([2, 3]);
    expect(ids({ arr: 'x' })).toEqual([2]);
    expect(ids({ arr: [1, 2] })).toEqual([3]);
  });
});

describe('numeric query operators', () => {
  const values: Doc[] = [
    { _id: 'int', v: 7 },
    { _id: 'double', v: 7.9 },
    { _id: 'negative', v: -7 },
    { _id: 'text', v: '7' },
    { _id: 'list', v: [2, 11] },
    { _id: 'nan', v: NaN },
  ];
  const match = (filter: Doc): unknown[] => values.filter(compileFilter(filter)).map((d) => d._id);
  const code = (filter: Doc): number | undefined => {
    try {
      compileFilter(filter);
    } catch (err) {
      return (err as { code?: number }).code;
    }
    return undefined;
  };

  it('$mod tests numbers only, truncating values and operands, with the sign of the dividend', () => {
    expect(match({ v: { $mod: [4, 3] } })).toEqual(['int', 'double', 'list']);
    expect(match({ v: { $mod: [4, -3] } })).toEqual(['negative']);
    expect(match({ v: { $mod: [4.7, 3.2] } })).toEqual(['int', 'double', 'list']);
  });

  it('$mod refuses a malformed operand (2)', () => {
    for (const bad of [4, [4], [4, 1, 2], ['4', 1], [4, 'x'], [0, 1], [0.4, 0]])
      expect(code({ v: { $mod: bad } })).toBe(2);
  });

  it('bit tests see integral numbers only, negative ones in two’s complement', () => {
    expect(match({ v: { $bitsAllSet: 7 } })).toEqual(['int']);
    expect(match({ v: { $bitsAllSet: [0, 1, 2] } })).toEqual(['int']);
    expect(match({ v: { $bitsAnySet: [1] } })).toEqual(['int', 'list']);
    expect(match({ v: { $bitsAllSet: [63, 100] } })).toEqual(['negative']);
    expect(match({ v: { $bitsAllClear: [3] } })).toEqual(['int', 'list']);
    expect(match({ v: { $bitsAnyClear: [0, 1] } })).toEqual(['negative', 'list']);
    expect(code({ v: { $bitsAllSet: -1 } })).toBe(2);
    expect(code({ v: { $bitsAllSet: [1.5] } })).toBe(2);
  });

  it('$size takes a non-negative whole number (2) and counts the array there', () => {
    for (const bad of [-1, 1.5, '2', null]) expect(code({ v: { $size: bad } })).toBe(2);
    expect(match({ v: { $size: 2 } })).toEqual(['list']);
    expect(match({ v: { $size: 2.0 } })).toEqual(['list']);
  });

  it('takes a top-level $comment and matches nothing on it', () => {
    expect(match({ $comment: 'why', v: 7 })).toEqual(['int']);
    expect(match({ $comment: { by: 'me' } })).toHaveLength(values.length);
  });
});
