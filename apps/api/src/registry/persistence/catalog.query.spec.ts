import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalogFilter, catalogSort } from './catalog.query.js';
import { searchGrams, trigrams } from './registry.mapper.js';

describe('catalogSort', () => {
  it('orders by key alone, so the unique key index serves it', () => {
    expect([catalogSort('-key'), catalogSort()]).toEqual([{ key: -1 }, { key: 1 }]);
  });

  it('maps public ordering names to stored fields, tie-broken by _id', () => {
    expect(catalogSort('-downloads')).toEqual({ 'stats.downloads': -1, _id: -1 });
  });
});

describe('catalogFilter', () => {
  it('matches search text literally, lower-cased, narrowed by its trigrams', () => {
    expect(catalogFilter({}, { search: 'A.B' })).toEqual({
      search_grams: { $all: ['a.b'] },
      search_text: { $regex: 'a\\.b' },
    });
    expect(catalogFilter({}, { search: 'ab' })).toEqual({ search_text: { $regex: 'ab' } });
  });

  it('combines key sets of the installed and active filters', () => {
    expect(catalogFilter({ deleted_at: null }, { keysIn: ['a.b'], keysNotIn: ['c.d'] })).toEqual({
      deleted_at: null,
      key: { $in: ['a.b'], $nin: ['c.d'] },
    });
  });
});

describe('search trigrams', () => {
  it('never lose a substring: the query grams of any substring are among its text’s grams (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.nat(), fc.nat(), (raw, a, b) => {
        const text = raw.toLowerCase();
        const points = Array.from(text);
        const from = points.length ? a % points.length : 0;
        const sub = points.slice(from, from + (b % 40)).join('');
        const indexed = new Set(trigrams(text));
        for (const g of searchGrams(sub)) expect(indexed.has(g)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('name at most eight grams of a long search, and none of one shorter than three', () => {
    expect(searchGrams('ab')).toEqual([]);
    expect(searchGrams('abcdefghijklmnopqrstuvwxyz')).toHaveLength(8);
    expect(trigrams('aaaa')).toEqual(['aaa']);
  });
});
