import { BSON } from 'bson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modifyNatively } from './fast-update.js';
import { MINGO_OPTIONS, mingoUpdate } from './mingo-context.js';
import { cloneDoc, type Doc } from './paths.js';
import { applyUpdate } from './update.js';

const scalar = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, min: -10, max: 10 }),
  fc.string({ maxLength: 3 }),
);
const object = fc.record({ x: scalar, y: scalar }, { requiredKeys: [] });
const value: fc.Arbitrary<unknown> = fc.oneof(scalar, fc.constant(null), object, fc.array(scalar, { maxLength: 2 }));
const storedDoc = fc.record(
  {
    a: fc.oneof({ arbitrary: object, weight: 4 }, { arbitrary: value, weight: 1 }),
    b: value,
    c: fc.oneof({ arbitrary: fc.integer(), weight: 4 }, { arbitrary: value, weight: 1 }),
    d: fc.record({ e: value }),
  },
  { requiredKeys: [] },
);
const path = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'b', 'c', 'z', 'a.x', 'a.y', 'b.x', 'd.e', 'd.f', 'n.m.k'), weight: 12 },
  { arbitrary: fc.constantFrom('a.0', '$bad', 'c.__proto__'), weight: 1 },
);
const fieldsOf = <T>(v: fc.Arbitrary<T>) => fc.dictionary(path, v, { minKeys: 1, maxKeys: 2 });
const modifier = fc
  .record(
    {
      $set: fieldsOf(value),
      $inc: fieldsOf(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true, min: -2, max: 2 }))),
      $unset: fieldsOf(fc.constant('')),
    },
    { requiredKeys: [] },
  )
  .filter((m) => Object.keys(m).length > 0);
// Now and then an operator only the general path knows.
const update = fc
  .tuple(
    modifier,
    fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 9 },
      { arbitrary: fieldsOf(fc.integer({ min: 0, max: 3 })), weight: 1 },
    ),
  )
  .map(([m, mul]) => (mul ? { ...m, $mul: mul } : m));

/** The document as stored: field order and types included. */
const bytes = (doc: Doc): string => Buffer.from(BSON.serialize(doc)).toString('hex');

describe('native $set / $inc / $unset', () => {
  it('change a document exactly as mingo’s updater does, field order included, or leave it to mingo', () => {
    let native = 0;
    fc.assert(
      fc.property(storedDoc, update, (stored, mod) => {
        const doc = { _id: 1, ...stored } as Doc;
        const fast = cloneDoc(doc);
        if (!modifyNatively(fast, mod)) {
          expect(bytes(fast)).toBe(bytes(doc));
          return;
        }
        native++;
        const general = cloneDoc(doc);
        mingoUpdate(general, mod, [], undefined, { cloneMode: 'copy', queryOptions: MINGO_OPTIONS });
        expect(bytes(fast)).toBe(bytes(general));
      }),
      { numRuns: 2000 },
    );
    // The shapes the fast path exists for are most of the generated ones; the rest went to mingo.

    expect(native).toBeGreaterThan(150);
  });

  it('takes the plain shapes and leaves arrays on the path, positions, conflicts and other operators', () => {
    const doc = (): Doc => ({ _id: 1, a: { x: 1 }, list: [{ x: 1 }], n: 2, s: 'x' });
    expect(modifyNatively(doc(), { $set: { 'a.y': 2, b: { c: 1 } }, $inc: { n: 1, m: 2 }, $unset: { s: '' } })).toBe(
      true,
    );
    for (const mod of [
      { $set: { 'list.x': 1 } },
      { $set: { 'list.0.x': 1 } },
      { $set: { 'list.$.x': 1 } },
      { $set: { 's.y': 1 } },
      { $set: { a: 1, 'a.x': 2 } },
      { $set: { n: 1 }, $inc: { n: 1 } },
      { $inc: { s: 1 } },
      { $push: { list: 1 } },
    ]) {
      const d = doc();
      expect(modifyNatively(d, mod)).toBe(false);
      expect(d).toEqual(doc());
    }
  });

  it('is what applyUpdate does for those shapes, and a change to nothing is still no change', () => {
    const doc: Doc = { _id: 1, a: { x: 1 }, n: 2 };
    expect(applyUpdate(doc, { $set: { 'a.x': 1 }, $inc: { n: 0 } })).toBeUndefined();
    expect(applyUpdate(doc, { $set: { 'a.y': 'v' }, $inc: { n: 3 } })).toEqual({ _id: 1, a: { x: 1, y: 'v' }, n: 5 });
    expect(doc).toEqual({ _id: 1, a: { x: 1 }, n: 2 });
  });
});
