import { escapeRegex } from '@app/common';
import { type SortSpec, sortFor } from '@app/database';
import type { CatalogCriteria, PluginOrdering } from '../registry.entity.js';
import { searchGrams } from './registry.mapper.js';

/** The catalog's filters as a Mongo filter over plugin documents, on top of the visibility filter. */
export function catalogFilter(visibility: Record<string, unknown>, c: CatalogCriteria): Record<string, unknown> {
  const q: Record<string, unknown> = { ...visibility };
  if (c.search) {
    const search = c.search.toLowerCase();
    // The trigrams narrow the candidates through their index; the substring test decides.
    const grams = searchGrams(search);
    if (grams.length) q.search_grams = { $all: grams };
    q.search_text = { $regex: escapeRegex(search) };
  }
  if (c.category !== undefined) q.category = c.category;
  if (c.tags?.length) q.tags = { $all: c.tags };
  if (c.author !== undefined) q.author_lc = c.author.toLowerCase();
  if (c.scope !== undefined) q.scope = c.scope;
  if (c.verified !== undefined) q.verified = c.verified;
  if (c.minRating !== undefined) q['stats.rating'] = { $gte: c.minRating };
  if (c.builtin !== undefined) q.is_builtin = c.builtin;
  if (c.sample !== undefined) q.is_sample = c.sample;
  if (c.mixin !== undefined) q.mixins = c.mixin;
  const key: Record<string, unknown> = {};
  if (c.keysIn) key.$in = c.keysIn;
  if (c.keysNotIn) key.$nin = c.keysNotIn;
  if (Object.keys(key).length) q.key = key;
  return q;
}

/**
 * The sort of a catalog ordering. Keys are unique, so ordering by key needs no _id tie-break, which lets the
 * unique key index serve it; the others end in _id like their indexes (plugin.schema.ts).
 */
export function catalogSort(ordering: PluginOrdering = 'key'): SortSpec {
  if (ordering === 'key' || ordering === '-key') return { key: ordering === '-key' ? -1 : 1 };
  return sortFor(ordering, { downloads: 'stats.downloads', rating: 'stats.rating' });
}
