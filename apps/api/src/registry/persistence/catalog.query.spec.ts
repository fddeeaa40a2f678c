import { describe, expect, it } from 'vitest';
import { catalogFilter, catalogSort } from './catalog.query.js';

describe('catalogSort', () => {
  it('orders by key alone, so the unique key index serves it', () => {
    expect([catalogSort('-key'), catalogSort()]).toEqual([{ key: -1 }, { key: 1 }]);
  });

  it('maps public ordering names to stored fields, tie-broken by _id', () => {
    expect(catalogSort('-downloads')).toEqual({ 'stats.downloads': -1, _id: -1 });
  });
});

describe('catalogFilter', () => {
  it('matches search text literally, lower-cased', () => {
    expect(catalogFilter({}, { search: 'A.B' })).toEqual({ search_text: { $regex: 'a\\.b' } });
  });

  it('combines key sets of the installed and active filters', () => {
    expect(catalogFilter({ deleted_at: null }, { keysIn: ['a.b'], keysNotIn: ['c.d'] })).toEqual({
      deleted_at: null,
      key: { $in: ['a.b'], $nin: ['c.d'] },
    });
  });
});
