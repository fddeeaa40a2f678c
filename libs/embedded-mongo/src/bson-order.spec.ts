import { Binary, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBson, compareStrings, keyString, sortValue } from './bson-order.js';

/** Arbitrary BSON-ish values, including nested documents and arrays, across all the types the engine orders. */
const scalar = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: false }),
  fc.integer({ min: -1000, max: 1000 }).map((n) => Long.fromNumber(n)),
  fc.integer({ min: -1000, max: 1000 }).map((n) => new Int32(n)),
  fc.string({ maxLength: 6, unit: 'binary' }),
  fc.boolean(),
  fc.integer({ min: 0, max: 4e12 }).map((ms) => new Date(ms)),
  fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => new ObjectId(b)),
  fc.uint8Array({ maxLength: 4 }).map((b) => new Binary(b)),
  fc.record({ t: fc.nat(100), i: fc.nat(100) }).map((x) => new Timestamp(x)),
  fc.constant(new MinKey()),
  fc.constant(new MaxKey()),
);
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('v'), { maxKeys: 2 }),
  ),
})).v;

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

describe('compareBson', () => {
  it('is a total order: antisymmetric, reflexive and transitive', () => {
    fc.assert(
      fc.property(value, value, value, (a, b, c) => {
        expect(compareBson(a, a)).toBe(0);
        expect(sign(compareBson(a, b)) + sign(compareBson(b, a))).toBe(0);
        if (compareBson(a, b) <= 0 && compareBson(b, c) <= 0) expect(compareBson(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives equal values the same keyString and different values different ones', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(keyString(a) === keyString(b)).toBe(compareBson(a, b) === 0);
      }),
      { numRuns: 3000 },
    );
  });

  it('orders types as MongoDB does', () => {
    const ordered = [
      new MinKey(),
      null,
      -5,
      'a',
      { a: 1 },
      [1],
      new Binary(Buffer.from([1])),
      new ObjectId('000000000000000000000000'),
      false,
      new Date(0),
      new Timestamp({ t: 1, i: 1 }),
      /re/,
      new MaxKey(),
    ];
    for (let i = 0; i + 1 < ordered.length; i++) expect(compareBson(ordered[i], ordered[i + 1])).toBeLessThan(0);
    // ObjectId sorts before Date regardless of the instant either encodes.
    expect(compareBson(new ObjectId(), new Date(0))).toBeLessThan(0);
  });

  it('compares int32, int64 and double as numbers, and NaN below all numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e6, max: 1e6 }), (x, y) => {
        const expected = sign(x - y);
        expect(sign(compareBson(Long.fromNumber(x), new Double(y)))).toBe(expected);
        expect(sign(compareBson(new Int32(x), Long.fromNumber(y)))).toBe(expected);
        expect(sign(compareBson(x, new Double(y + 0.5)))).toBe(x <= y ? -1 : 1);
      }),
    );
    expect(compareBson(NaN, -Infinity)).toBeLessThan(0);
    expect(keyString(Long.fromNumber(7))).toBe(keyString(7.0));
  });

  it('treats missing and null alike', () => {
    expect(compareBson(undefined, null)).toBe(0);
    expect(keyString(undefined)).toBe(keyString(null));
  });

  it('orders strings by code point, as UTF-8 bytes order', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(sign(compareStrings(a, b))).toBe(sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
      { numRuns: 2000 },
    );
    expect(compareStrings('\u{1F600}', '\uFFFF')).toBeGreaterThan(0);
  });

  it('compares documents field by field, including field names', () => {
    expect(compareBson({ a: 1 }, { a: 2 })).toBeLessThan(0);
    expect(compareBson({ a: 1 }, { b: 1 })).toBeLessThan(0);
    expect(compareBson({ a: 1 }, { a: 1, b: 0 })).toBeLessThan(0);
    expect(compareBson({ a: 'x' }, { a: 5 })).toBeGreaterThan(0);
  });

  it('picks the smallest array element for ascending sort and the largest for descending', () => {
    expect(sortValue([3, 1, 2], 1)).toBe(1);
    expect(sortValue([3, 1, 2], -1)).toBe(3);
    expect(sortValue(['a', 5, null], 1)).toBeNull();
    expect(sortValue(['a', 5, null], -1)).toBe('a');
  });
});
