import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilter } from './collection.js';
import { splitFastFilter } from './fast-match.js';
import { mingoQuery } from './mingo-context.js';
import type { Doc } from './paths.js';

const word = fc.oneof(fc.constantFrom('a', 'b'), fc.constantFrom('ab', 'A', 'ba', ''));
const scalar = fc.oneof(word, fc.boolean(), fc.integer({ min: 0, max: 2 }), fc.constant(null));
const value = fc.oneof(
  { arbitrary: scalar, weight: 3 },
  fc.constant(undefined),
  { arbitrary: fc.array(scalar, { maxLength: 4 }), weight: 3 },
  fc.array(fc.array(word, { maxLength: 2 }), { maxLength: 2 }),
  fc.record({ x: word }).map((o) => ({ ...o })),
  fc.date({ noInvalidDate: true }),
);
const doc = fc.record({ a: value, b: value, c: value }, { requiredKeys: [] }).map((d) => ({ ...d }));

const fastCondition = fc.oneof(
  word,
  fc.boolean(),
  fc.oneof(word, fc.boolean()).map((v) => ({ $eq: v })),
  fc.array(word, { maxLength: 3 }).map((vs) => ({ $in: vs })),
  fc.array(word, { minLength: 1, maxLength: 3 }).map((vs) => ({ $all: vs })),
  fc
    .tuple(fc.constantFrom('a', '^a', 'b$', 'A', '^$', 'a|b'), fc.constantFrom(undefined, '', 'i', 'ms'))
    .map(([p, o]) => (o === undefined ? { $regex: p } : { $regex: p, $options: o })),
);
// Conditions the native tests leave to the general matcher, mixed in so the split is exercised too.
const otherCondition = fc.oneof(
  fc.constant({ $ne: 'a' }),
  fc.constant({ $exists: true }),
  fc.constant({ $gt: 'a' }),
  fc.constant({ $in: ['a', null] }),
  fc.constant({ $all: [] }),
  fc.constant({ $not: { $regex: 'a' } }),
  fc.constant({ $eq: 1 }),
  fc.constant(['a']),
);
const filter = fc.record(
  { a: fc.oneof(fastCondition, otherCondition), b: fastCondition, 'c.x': fastCondition, _id: fastCondition },
  { requiredKeys: [] },
);

describe('the native tests of simple conditions', () => {
  it('answer exactly as the general matcher does, for every document and filter', () => {
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 20 }), filter, (docs: Doc[], f: Doc) => {
        const general = mingoQuery(f);
        const fast = compileFilter(f);
        expect(docs.map((d) => fast(d))).toEqual(docs.map((d) => general.test(d)));
      }),
      { numRuns: 1500 },
    );
  }, 120_000);

  it('take only conditions on top-level fields, and leave the rest to the general matcher', () => {
    const split = splitFastFilter({
      audience: { $in: ['*', 'u:1'] },
      search_text: { $regex: 'wea' },
      'stats.rating': { $gte: 2 },
      $or: [{ a: 1 }],
      _id: 'x',
    });
    expect(split?.tests).toHaveLength(2);
    expect(Object.keys(split?.rest ?? {})).toEqual(['stats.rating', '$or', '_id']);
    expect(splitFastFilter({ 'a.b': 'x', c: { $ne: 1 } })).toBeUndefined();
  });

  it('refuse a bad pattern as the general matcher does', () => {
    expect(() => compileFilter({ a: { $regex: '(' } })).toThrow(expect.objectContaining({ code: 2 }));
  });
});
