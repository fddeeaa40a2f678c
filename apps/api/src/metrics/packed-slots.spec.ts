import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addSlots, forEachPackedSlot, type PackedSlot, packSlots, unpackSlots } from './packed-slots.js';

const slotArb: fc.Arbitrary<PackedSlot> = fc
  .record({
    c: fc.integer({ min: 0, max: 2 ** 40 }),
    e: fc.integer({ min: 0, max: 2 ** 30 }),
    d: fc.double({ min: 0, max: 1e12, noNaN: true }),
    l: fc.dictionary(fc.integer({ min: 0, max: 35 }).map(String), fc.integer({ min: 1, max: 2 ** 40 }), {
      maxKeys: 36,
    }),
    x: fc.option(fc.integer({ min: 0, max: 2 ** 48 }), { nil: undefined }),
  })
  .map((s) => (s.x === undefined ? { c: s.c, e: s.e, d: s.d, l: s.l } : s));
const slotsArb = fc.dictionary(
  fc.integer({ min: 0, max: 1439 }).map((m) => `m${m}`),
  slotArb,
  { maxKeys: 300 },
);

describe('packed slots', () => {
  it('reads back every slot as it was packed (property)', () => {
    fc.assert(
      fc.property(slotsArb, (slots) => {
        expect(unpackSlots(packSlots(slots))).toEqual(slots);
      }),
    );
  });

  it('leaves out latency buckets without calls, and reads from a view into a larger buffer', () => {
    const packed = packSlots({ m35: { c: 3, e: 1, d: 12.5, l: { 2: 3, 7: 0 } } });
    const shifted = new Uint8Array(packed.byteLength + 3);
    shifted.set(packed, 3);
    const seen: Array<[number, PackedSlot]> = [];
    forEachPackedSlot(shifted.subarray(3), (minute, slot) => seen.push([minute, slot]));
    expect(seen).toEqual([[35, { c: 3, e: 1, d: 12.5, l: { 2: 3 } }]]);
  });

  it('adds slots field by field, the memory mark as the higher one', () => {
    const into = unpackSlots(packSlots({ m0: { c: 2, e: 0, d: 4, l: { 1: 2 }, x: 900 } }));
    addSlots(into, { m0: { c: 1, e: 1, d: 3, l: { 1: 1, 4: 1 }, x: 700 }, m5: { c: 1, e: 0, d: 1 } });
    expect(into).toEqual({
      m0: { c: 3, e: 1, d: 7, l: { 1: 3, 4: 1 }, x: 900 },
      m5: { c: 1, e: 0, d: 1, l: {} },
    });
  });

  it('packs nothing into an empty value', () => {
    expect(packSlots({}).byteLength).toBe(0);
    expect(unpackSlots(new Uint8Array(0))).toEqual({});
  });
});
