import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { METADATA_MAX_DEPTH, metadataProblems } from './metadata.service.js';

const nested = (depth: number): Record<string, unknown> => {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) v = { a: v };
  return v;
};

describe('metadataProblems', () => {
  it('accepts plain JSON objects up to the depth limit', () => {
    expect(metadataProblems({ label: 'x', tags: ['a', { b: [1, null, true] }] })).toEqual([]);
    expect(metadataProblems(nested(METADATA_MAX_DEPTH))).toEqual([]);
  });

  it('names the path of what nests deeper than the limit', () => {
    const errors = metadataProblems(nested(METADATA_MAX_DEPTH + 1));
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('metadata' + '.a'.repeat(METADATA_MAX_DEPTH));
    expect(metadataProblems({ list: [[[[[[[[[1]]]]]]]]] })).toHaveLength(1);
  });

  it('refuses keys the store treats specially, each with its path', () => {
    const errors = metadataProblems({ $set: 1, ok: { 'a.b': 2, '': 3, ['k'.repeat(201)]: 4, 'nul\0': 5 } });
    expect(errors.map((e) => e.field)).toEqual([
      'metadata.$set',
      'metadata.ok.a.b',
      'metadata.ok.',
      `metadata.ok.${'k'.repeat(50)}`,
      'metadata.ok.nul\0',
    ]);
  });

  it('reports at most 20 problems however many there are', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), (n) => {
        const bad = Object.fromEntries(Array.from({ length: n }, (_, i) => [`$k${i}`, i]));
        expect(metadataProblems(bad)).toHaveLength(Math.min(n, 20));
      }),
    );
  });
});
