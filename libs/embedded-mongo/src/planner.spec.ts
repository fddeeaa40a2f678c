import fc from 'fast-check';
import { Query } from 'mingo';
import { describe, expect, it, vi } from 'vitest';
import { keyString, sortValue } from './bson-order.js';
import { Collection, compileFilter, sortDocs } from './collection.js';
import type { Doc } from './paths.js';
import { exactCount, planIds, planOr, planQuery, type SortSpec } from './planner.js';
import { SortedIndex } from './sorted-index.js';

const fieldValue = fc.oneof(
  fc.integer({ min: 0, max: 9 }),
  fc.constantFrom('a', 'b', 'c', 'd'),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }),
  // Arrays over a small domain, so that equalities on several of their values (below) often all hold.
  fc.array(fc.constantFrom(1, 2, 'a', 'b'), { minLength: 1, maxLength: 4 }),
  fc.double({ min: 0, max: 9, noNaN: true }),
);

const docsArb = fc.array(fc.record({ a: fieldValue, b: fc.integer({ min: 0, max: 5 }) }), { maxLength: 60 });

const operand = fc.oneof(
  fc.integer({ min: 0, max: 9 }),
  fc.constantFrom('a', 'b', 'c'),
  fc.double({ min: 0, max: 9, noNaN: true }),
);
const condition = fc.oneof(
  operand,
  fc.constant(null),
  operand.map((v) => ({ $eq: v })),
  fc.array(operand, { minLength: 1, maxLength: 3 }).map((vs) => ({ $in: vs })),
  fc.record({ $gt: operand }, { requiredKeys: [] }),
  fc
    .tuple(fc.constantFrom('$gt', '$gte'), operand, fc.constantFrom('$lt', '$lte'), operand)
    .map(([lo, x, hi, y]) => ({ [lo]: x, [hi]: y })),
  fc.record({ $lte: operand }),
  fc.constant({ $ne: 3 }),
  fc.constant({ $exists: false }),
  fc.array(operand, { minLength: 1, maxLength: 2 }).map((vs) => ({ $all: vs })),
);
const simpleFilter = fc.record({ a: condition, b: condition }, { requiredKeys: [] });
const filterArb = fc.oneof(
  { weight: 4, arbitrary: simpleFilter },
  // Two conditions on one field: an array field can satisfy both equalities at once.
  { weight: 1, arbitrary: fc.tuple(simpleFilter, simpleFilter).map(([x, y]) => ({ $and: [x, y] })) },
  {
    weight: 1,
    arbitrary: fc.array(simpleFilter, { minLength: 1, maxLength: 3 }).map((branches) => ({ $or: branches })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.constantFrom<unknown>(1, 2, 'a', 'b', { $eq: 'b' }, { $in: [2, 'a'] }, { $all: [1, 'b'] }), {
        minLength: 2,
        maxLength: 3,
      })
      .map((conds) => ({ $and: conds.map((a) => ({ a })) })),
  },
);
const sortArb = fc.option(
  fc.constantFrom<SortSpec>(
    [['a', 1]],
    [['a', -1]],
    [
      ['b', 1],
      ['a', 1],
    ],
    [
      ['a', 1],
      ['b', -1],
    ],
    [
      ['a', -1],
      ['b', 1],
    ],
    [['b', -1]],
  ),
  { nil: undefined },
);
const indexSetArb = fc.subarray([{ a: 1 }, { a: 1, b: -1 }, { b: 1 }, { b: 1, a: 1 }, { a: -1 }] as Doc[]);

function keysOf(docs: Doc[], sort: SortSpec): unknown[][] {
  return docs.map((d) =>
    sort.map(([f, dir]) =>
      sortValue(d[f] === undefined ? [] : Array.isArray(d[f]) ? (d[f] as unknown[]) : [d[f]], dir),
    ),
  );
}

describe('index planner', () => {
  it('returns exactly what a full scan returns, for random data, indexes, filters and sorts', () => {
    fc.assert(
      fc.property(docsArb, indexSetArb, filterArb, sortArb, fc.nat(5), (raw, indexKeys, filter, sort, limit) => {
        const coll = new Collection('db', 'c');
        const docs: Doc[] = raw.map((d, i) => {
          const doc: Doc = { _id: i, b: d.b };
          if (d.a !== undefined) doc.a = d.a;
          return doc;
        });
        for (const d of docs) coll.insert(d);
        for (const key of indexKeys)
          coll.createIndex({ key, name: Object.keys(key).join('_') + JSON.stringify(Object.values(key)) });

        const q = new Query(filter);
        const matching = docs.filter((d) => q.test(d));
        const got = coll.find(filter, { sort, limit });
        if (!sort) {
          const ids = got.map((d) => d._id);
          if (limit === 0) expect([...ids].sort()).toEqual(matching.map((d) => d._id).sort());
          else expect(ids.length).toBe(Math.min(limit, matching.length));
          for (const d of got) expect(q.test(d)).toBe(true);
          return;
        }
        const expected = sortDocs(matching, sort);
        const n = limit === 0 ? expected.length : Math.min(limit, expected.length);
        expect(got).toHaveLength(n);
        expect(keysOf(got, sort)).toEqual(keysOf(expected.slice(0, n), sort));
        if (limit === 0) expect(got.map((d) => d._id).sort()).toEqual(expected.map((d) => d._id).sort());
      }),
      { numRuns: 1500 },
    );
  });

  it('counts from index entries alone exactly what a full scan counts, whenever it counts at all', () => {
    let counted = 0;
    fc.assert(
      fc.property(docsArb, indexSetArb, simpleFilter, (raw, indexKeys, filter) => {
        const coll = new Collection('db', 'c');
        raw.forEach((d, i) => coll.insert(d.a === undefined ? { _id: i, b: d.b } : { _id: i, a: d.a, b: d.b }));
        for (const key of indexKeys)
          coll.createIndex({ key, name: Object.keys(key).join('_') + JSON.stringify(Object.values(key)) });
        const got = exactCount(filter, coll.indexes);
        if (got === undefined) return;
        counted++;
        const q = new Query(filter);
        expect(got.count).toBe([...coll.docs.values()].filter((d) => q.test(d)).length);
      }),
      { numRuns: 1500 },
    );
    expect(counted).toBeGreaterThan(100);
  });

  it('counts with bounds on any index fields, up to a limit, exactly what a full scan counts', () => {
    // Numbers include NaN and -0 (an index orders NaN below every number; no range matches it), strings and
    // arrays (a document listed under several keys is counted once).
    const num = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(Number.NaN, -0, 2.5));
    const value = fc.oneof(num, fc.constantFrom('p', 'q'), fc.array(num, { maxLength: 3 }));
    const docs = fc.array(fc.record({ a: value, b: num, c: fc.constantFrom('p', 'q', 'r') }), { maxLength: 40 });
    const bound = fc.oneof(num, fc.constantFrom('p', 'q'));
    const cond = fc.oneof(
      bound,
      fc.array(bound, { minLength: 1, maxLength: 3 }).map((vs) => ({ $in: vs })),
      fc
        .tuple(fc.constantFrom('$gt', '$gte', '$lt', '$lte'), fc.integer({ min: 0, max: 4 }))
        .map(([op, v]) => ({ [op]: v })),
      fc
        .tuple(fc.constantFrom('$gt', '$gte'), fc.integer({ min: 0, max: 4 }), fc.constantFrom('$lt', '$lte'))
        .map(([lo, v, hi]) => ({ [lo]: v, [hi]: v + 2 })),
      fc.constant({ $gte: 'p' }),
    );
    const filter = fc.record({ a: cond, b: cond, c: cond }, { requiredKeys: [] });
    const indexSets = fc.subarray([{ a: 1, b: 1, c: 1 }, { b: -1, a: 1 }, { c: 1, b: 1 }, { a: 1 }] as Doc[], {
      minLength: 1,
    });
    let walked = 0;
    let sized = 0;
    fc.assert(
      fc.property(docs, indexSets, filter, fc.option(fc.integer({ min: 1, max: 6 })), (raw, keys, f, limit) => {
        const coll = new Collection('db', 'c');
        raw.forEach((d, i) => coll.insert({ _id: i, ...d }));
        keys.forEach((key, i) => coll.createIndex({ key, name: `i${i}` }));
        const upTo = limit ?? Infinity;
        const counters = { keysExamined: 0 };
        const got = exactCount(f, coll.indexes, undefined, upTo, counters);
        if (got === undefined) return;
        if (got.walked) walked++;
        else sized++;
        if (!got.walked) expect(counters.keysExamined).toBe(0);
        // The engine's own matcher: mingo's accepts NaN for `$gte`/`$lte` on a number, mongod does not.
        const match = compileFilter(f);
        expect(got.count).toBe(Math.min(upTo, [...coll.docs.values()].filter(match).length));
      }),
      { numRuns: 2000 },
    );
    expect(walked).toBeGreaterThan(100);
    expect(sized).toBeGreaterThan(100);
  });

  it('splits a range followed by a bounded field into the values it holds, so both bound the count', () => {
    const coll = new Collection('db', 'logs');
    coll.createIndex({ key: { installation_id: 1, severity: 1, at: -1, _id: -1 }, name: 'installation_severity_at' });
    for (let i = 0; i < 3000; i++)
      coll.insert({ _id: i, installation_id: i % 3 ? 'a' : 'b', severity: 10 * (1 + (i % 4)), at: new Date(i * 1000) });
    const filter = { installation_id: 'a', severity: { $gte: 30 }, at: { $gte: new Date(1_000_000) } };
    const counters = { keysExamined: 0 };
    const got = exactCount(filter, coll.indexes, undefined, Infinity, counters);
    expect(got).toMatchObject({ walked: false, index: { name: 'installation_severity_at' } });
    expect(got?.count).toBe(coll.find(filter).length);
    expect(counters.keysExamined).toBe(0);
  });

  it('stops a count that reads entries once the limit is reached', () => {
    const coll = new Collection('db', 'c');
    coll.createIndex({ key: { tags: 1 }, name: 'tags_1' });
    for (let i = 0; i < 300; i++) coll.insert({ _id: i, tags: ['a', 'b'] });
    const counters = { keysExamined: 0 };
    // Two values of an array field: a document is under both, so entries are read and each id counted once.
    expect(exactCount({ tags: { $in: ['a', 'b'] } }, coll.indexes, undefined, 5, counters)).toMatchObject({
      count: 5,
      walked: true,
    });
    expect(counters.keysExamined).toBe(5);
    expect(exactCount({ tags: { $in: ['a', 'b'] } }, coll.indexes)?.count).toBe(300);
  });

  it('counts an equality and a range on a compound index without visiting entries, and refuses what it cannot', () => {
    const coll = sample();
    expect(exactCount({ age: 5, city: 'y' }, coll.indexes)).toMatchObject({
      index: { name: 'age_1_city_1' },
      count: coll.find({ age: 5, city: 'y' }).length,
    });
    expect(exactCount({ age: { $gte: 10, $lt: 12 } }, coll.indexes)?.count).toBe(
      coll.find({ age: { $gte: 10, $lt: 12 } }).length,
    );
    expect(exactCount({ tags: { $in: ['t1', 't2'] } }, coll.indexes)?.count).toBe(
      coll.find({ tags: { $in: ['t1', 't2'] } }).length,
    );
    expect(exactCount({ age: 5, name: 'x' }, coll.indexes)).toBeUndefined();
    expect(exactCount({ city: 'y' }, coll.indexes)).toBeUndefined();
    expect(exactCount({ age: null }, coll.indexes)).toBeUndefined();
    expect(exactCount({ $or: [{ age: 1 }] }, coll.indexes)).toBeUndefined();
  });

  it('merges the sorted intervals of an $in into one sorted scan that stops after the limit', () => {
    const coll = sample();
    expect(planQuery({ city: { $in: ['x', 'y'] } }, coll.indexes, [['email', 1]])?.index.name).toBe('email_1');
    coll.createIndex({ key: { city: 1, email: 1 }, name: 'city_1_email_1' });
    const merged = planQuery({ city: { $in: ['y', 'x'] } }, coll.indexes, [['email', -1]]);
    expect(merged).toMatchObject({ sorted: true, index: { name: 'city_1_email_1' } });
    const page = coll.find({ city: { $in: ['y', 'x'] } }, { sort: [['email', -1]], limit: 3 });
    const all = sortDocs([...coll.docs.values()], [['email', -1]]);
    expect(page.map((d) => d.email)).toEqual(all.slice(0, 3).map((d) => d.email));
  });

  it('bounds $all by its rarest value', () => {
    const coll = sample();
    coll.insert({ _id: 'rare', tags: ['t1', 'only-here'] });
    const plan = planQuery({ tags: { $all: ['t1', 'only-here'] } }, coll.indexes);
    expect([...planIds(plan!)]).toEqual([keyString('rare')]);
    expect(coll.find({ tags: { $all: ['t1', 'only-here'] } }).map((d) => d._id)).toEqual(['rare']);
  });

  it('of two equally shaped plans, takes the one with fewer index entries', () => {
    const coll = sample();
    coll.insert({ _id: 'rare', tags: ['only-here'], age: 5 });
    // age 5 has ~56 entries, the tag one: the tag wins, though the age index comes first; t1 has ~1400.
    const plan = planQuery({ age: 5, tags: 'only-here' }, coll.indexes);
    expect(plan?.index.name).toBe('tags_1');
    expect(planQuery({ age: 5, tags: 't1' }, coll.indexes)?.index.name).toBe('age_1_city_1');
    expect(coll.find({ age: 5, tags: 'only-here' }).map((d) => d._id)).toEqual(['rare']);
  });

  function sample(): Collection {
    const coll = new Collection('db', 'people');
    for (let i = 0; i < 5000; i++)
      coll.insert({
        _id: i,
        email: `u${i}@x`,
        age: i % 90,
        tags: [`t${i % 7}`, `t${(i + 1) % 7}`],
        city: i % 3 ? 'x' : 'y',
      });
    coll.createIndex({ key: { email: 1 }, name: 'email_1', unique: true });
    coll.createIndex({ key: { age: 1, city: 1 }, name: 'age_1_city_1' });
    coll.createIndex({ key: { tags: 1 }, name: 'tags_1' });
    return coll;
  }

  it('keeps every document an $and of equalities on one array field can match (both values in one array)', () => {
    const coll = sample();
    // tags of _id i are t(i%7) and t((i+1)%7): t2 and t3 together only when i % 7 == 2.
    const both = { $and: [{ tags: 't2' }, { tags: 't3' }] };
    const plan = planQuery(both, coll.indexes);
    expect(plan?.index.name).toBe('tags_1');
    const ids = (filter: Doc): number[] =>
      coll
        .find(filter)
        .map((d) => d._id as number)
        .sort((x, y) => x - y);
    const expected = [...coll.docs.values()].map((d) => d._id as number).filter((i) => i % 7 === 2);
    expect(expected).toHaveLength(714);
    expect(ids(both)).toEqual(expected);
    expect(ids({ $and: [{ tags: { $in: ['t2', 'nowhere'] } }, { tags: { $eq: 't3' } }], age: { $gte: 0 } })).toEqual(
      expected,
    );
    expect(ids({ tags: 't2', $and: [{ tags: 't3' }] })).toEqual(expected);
  });

  it('answers equality on a unique index by visiting one entry', () => {
    const coll = sample();
    const plan = planQuery({ email: 'u4242@x' }, coll.indexes);
    expect(plan?.index.name).toBe('email_1');
    expect([...planIds(plan!)]).toHaveLength(1);
    expect(coll.find({ email: 'u4242@x' })).toEqual([expect.objectContaining({ _id: 4242 })]);
  });

  it('uses compound prefixes and ranges, visiting only the matching interval', () => {
    const coll = sample();
    const plan = planQuery({ age: { $gte: 10, $lt: 12 }, name: { $exists: false } }, coll.indexes);
    expect(plan?.index.name).toBe('age_1_city_1');
    const ids = [...planIds(plan!)];
    expect(ids.length).toBe(coll.find({ age: { $gte: 10, $lt: 12 } }).length);
    const eq = planQuery({ age: 5, city: 'y' }, coll.indexes);
    expect(eq?.index.name).toBe('age_1_city_1');
    expect([...planIds(eq!)].length).toBe(coll.find({ age: 5, city: 'y' }).length);
  });

  it('serves a sort from the index and stops after the limit', () => {
    const coll = sample();
    const plan = planQuery({}, coll.indexes, [['email', -1]]);
    expect(plan).toMatchObject({ sorted: true, reverse: true });
    expect(coll.find({}, { sort: [['email', -1]], limit: 2 }).map((d) => d.email)).toEqual(['u9@x', 'u99@x']);
    const byAge = planQuery({ age: 3 }, coll.indexes, [['city', 1]]);
    expect(byAge).toMatchObject({ sorted: true });
  });

  it('unions index plans for $or when every branch is indexed', () => {
    const coll = sample();
    const plans = planOr({ $or: [{ email: 'u1@x' }, { age: 7, city: 'x' }] }, coll.indexes);
    expect(plans?.map((p) => p.index.name)).toEqual(['email_1', 'age_1_city_1']);
    expect(planOr({ $or: [{ email: 'u1@x' }, { nope: 1 }] }, coll.indexes)).toBeUndefined();
    const got = coll.find({ $or: [{ email: 'u1@x' }, { age: 7, city: 'x' }] });
    expect(got.length).toBe(1 + coll.find({ age: 7, city: 'x' }).length);
  });

  it('does not serve sorts from multikey indexes, and ignores unindexed fields', () => {
    const coll = sample();
    expect(planQuery({ tags: 't3' }, coll.indexes)?.index.name).toBe('tags_1');
    expect(planQuery({}, coll.indexes, [['tags', 1]])).toBeUndefined();
    expect(planQuery({ nope: 1 }, coll.indexes)).toBeUndefined();
    expect(planQuery({ email: /u1/ }, coll.indexes)).toBeUndefined();
  });

  it('skips sparse indexes for null equality and partial indexes entirely', () => {
    const coll = new Collection('db', 's');
    coll.createIndex({ key: { a: 1 }, name: 'a_sparse', sparse: true });
    coll.createIndex({ key: { b: 1 }, name: 'b_partial', partialFilterExpression: { b: { $gt: 0 } } });
    coll.insert({ _id: 1 });
    coll.insert({ _id: 2, a: 1, b: 1 });
    expect(planQuery({ a: null }, coll.indexes)).toBeUndefined();
    expect(planQuery({ a: 1 }, coll.indexes)?.index.name).toBe('a_sparse');
    expect(planQuery({ b: 1 }, coll.indexes)).toBeUndefined();
    expect(coll.find({ a: null }).map((d) => d._id)).toEqual([1]);
  });
});

describe('SortedIndex', () => {
  it('matches a sorted-array model under random inserts, removes and range scans', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 })), { maxLength: 3000 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        (ops, x, y) => {
          const tree = new SortedIndex<number>((a, b) => a - b);
          const model: number[] = [];
          for (const [add, v] of ops) {
            if (add) {
              tree.insert(v);
              model.push(v);
            } else {
              const i = model.indexOf(v);
              expect(tree.remove(v)).toBe(i >= 0);
              if (i >= 0) model.splice(i, 1);
            }
          }
          model.sort((a, b) => a - b);
          expect([...tree.all()]).toEqual(model);
          expect(tree.size).toBe(model.length);
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const inRange = model.filter((v) => v >= lo && v <= hi);
          expect([
            ...tree.scan(
              (v) => v < lo,
              (v) => v <= hi,
            ),
          ]).toEqual(inRange);
          expect([
            ...tree.scanReverse(
              (v) => v > hi,
              (v) => v >= lo,
            ),
          ]).toEqual([...inRange].reverse());
          expect(
            tree.count(
              (v) => v < lo,
              (v) => v > hi,
            ),
          ).toBe(inRange.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('index maintenance', () => {
  it('keeps every index equal to the keys of the stored documents under random writes', () => {
    const docArb = fc.record(
      {
        _id: fc.integer({ min: 0, max: 30 }),
        u: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
        t: fieldValue,
        s: fc.array(fc.record({ v: fieldValue, w: fc.integer({ min: 0, max: 3 }) }), { maxLength: 3 }),
        x: fc.integer({ min: 0, max: 3 }),
      },
      { requiredKeys: ['_id'] },
    );
    const opArb = fc.oneof(
      docArb.map((d) => ({ kind: 'insert' as const, doc: d })),
      docArb.map((d) => ({ kind: 'replace' as const, doc: d })),
      // Updates that change one field of the stored document (indexed or not, a nested one inside an array).
      fc
        .tuple(fc.integer({ min: 0, max: 30 }), fc.constantFrom('u', 't', 's', 'x'), docArb)
        .map(([id, field, from]) => ({ kind: 'update' as const, id, field, value: from[field as keyof typeof from] })),
      fc.integer({ min: 0, max: 30 }).map((id) => ({ kind: 'remove' as const, id })),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const coll = new Collection('db', 'c');
        coll.createIndex({ key: { u: 1 }, name: 'u_1', unique: true, sparse: true });
        coll.createIndex({ key: { t: -1, u: 1 }, name: 't_-1_u_1' });
        coll.createIndex({ key: { t: 1 }, name: 't_partial', partialFilterExpression: { u: { $gte: 5 } } });
        coll.createIndex({ key: { 's.v': 1 }, name: 's.v_1' });
        for (const op of ops) {
          try {
            if (op.kind === 'insert') coll.insert({ ...op.doc });
            else if (op.kind === 'update') {
              const current = coll.docs.get(keyString(op.id));
              if (current)
                coll.replace(current, { ...structuredClone(current), [op.field]: structuredClone(op.value) });
            } else if (op.kind === 'replace') {
              const current = coll.docs.get(keyString(op.doc._id));
              if (current) coll.replace(current, { ...op.doc });
            } else {
              const current = coll.docs.get(keyString(op.id));
              if (current) coll.remove(current);
            }
          } catch (err) {
            expect((err as { code?: number }).code).toBe(11000);
          }
        }
        for (const index of coll.indexes) {
          const expected: string[] = [];
          for (const [id, doc] of coll.docs) for (const key of index.keysFor(doc)) expected.push(keyString([key, id]));
          const actual = [...index.tree.all()].map((e) => keyString([e.key, e.id]));
          expect(actual.sort()).toEqual(expected.sort());
        }
        const us = [...coll.docs.values()].map((d) => d.u).filter((u) => u !== undefined);
        expect(new Set(us).size).toBe(us.length);
      }),
      { numRuns: 400 },
    );
  });

  it('leaves an index alone, without computing its keys, when an update leaves its fields alone', () => {
    const coll = new Collection('db', 'c');
    const grams = coll.createIndex({ key: { grams: 1 }, name: 'grams_1' });
    const partial = coll.createIndex({ key: { n: 1 }, name: 'n_partial', partialFilterExpression: { n: { $gt: 0 } } });
    coll.insert({ _id: 1, grams: ['abc', 'bcd', 'cde'], n: 1, hits: 0 });
    const keysFor = vi.spyOn(grams, 'keysFor');
    const partialKeys = vi.spyOn(partial, 'keysFor');
    coll.replace(coll.docs.get(keyString(1))!, { _id: 1, grams: ['abc', 'bcd', 'cde'], n: 1, hits: 1 });
    expect(keysFor).not.toHaveBeenCalled();
    // A partial index's keys also depend on its filter, so it is still computed.
    expect(partialKeys).toHaveBeenCalledTimes(2);
    coll.replace(coll.docs.get(keyString(1))!, { _id: 1, grams: ['abc', 'bcd'], n: 1, hits: 1 });
    expect(keysFor).toHaveBeenCalledTimes(2);
    expect([...grams.tree.all()].map((e) => e.key[0])).toEqual(['abc', 'bcd']);
  });
});
