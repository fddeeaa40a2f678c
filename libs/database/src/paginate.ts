import type { PageWindow, Slice } from '@app/common';
import type { Model } from 'mongoose';

/** A Mongo sort: field → direction, most significant first. */
export type SortSpec = Record<string, 1 | -1>;

/**
 * Counts with the `count` command rather than countDocuments: the latter is an aggregation ($match, $group),
 * which the embedded engine evaluates document by document, while `count` runs the query planner like a find
 * (about 12 ms instead of 80 ms for 9,000 matches). Both are standard MongoDB; `count` only may not run inside a
 * transaction, and these counts never do. With `limit`, the count stops there (the server may stop reading at it).
 */
export async function countMatching(
  model: Pick<Model<unknown>, 'db' | 'collection'>,
  filter: Record<string, unknown>,
  limit?: number,
): Promise<number> {
  const db = model.db.db;
  if (!db) throw new Error('the database connection is not open');
  const res = await db.command({
    count: model.collection.collectionName,
    query: filter,
    ...(limit === undefined ? {} : { limit }),
  });
  return Number(res.n);
}

/**
 * One page of a collection and the total the filter matches, read in `sort` order (from an index where one fits,
 * so the page can stop early). Returns lean documents: the repository maps them to entities.
 */
export async function paginate<Doc, Lean = Doc & { _id: unknown }>(
  model: Model<Doc>,
  filter: Record<string, unknown>,
  sort: SortSpec,
  window: PageWindow,
  projection?: Record<string, 0 | 1>,
): Promise<Slice<Lean>> {
  const [count, items] = await Promise.all([
    countMatching(model, filter),
    model.find(filter, projection).sort(sort).skip(window.offset).limit(window.limit).lean<Lean[]>().exec(),
  ]);
  return { count, items };
}

/**
 * The sort for an InvenTree `ordering` value (`name`, `-name`), tie-broken by _id in the same direction so pages
 * are stable. `fields` maps public names to stored paths (`downloads` → `stats.downloads`).
 */
export function sortFor(ordering: string, fields: Record<string, string> = {}): SortSpec {
  const desc = ordering.startsWith('-');
  const name = desc ? ordering.slice(1) : ordering;
  return { [fields[name] ?? name]: desc ? -1 : 1, _id: desc ? -1 : 1 };
}
