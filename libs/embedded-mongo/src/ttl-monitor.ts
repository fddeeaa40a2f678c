import { BracketBound, Rank } from './bson-order.js';
import type { Catalog, LogOp } from './catalog.js';
import type { Doc } from './paths.js';
import { scanInterval } from './planner.js';

/**
 * One pass of the TTL monitor: removes documents whose TTL-indexed date (a clustered collection's: its _id) is
 * older than expireAfterSeconds.
 * Returns the log operations of the removals.
 */
export function expireTtlDocuments(catalog: Catalog, now: number): LogOp[] {
  const ops: LogOp[] = [];
  for (const coll of catalog.all()) {
    for (const index of coll.indexes) {
      // A clustered collection's expireAfterSeconds expires documents by their _id (a date).
      const ttl =
        index.spec.expireAfterSeconds ??
        (index.name === '_id_' && coll.options.clusteredIndex !== undefined
          ? coll.options.expireAfterSeconds
          : undefined);
      if (typeof ttl !== 'number' || index.fields.length !== 1) continue;
      const cutoff = new Date(now - ttl * 1000);
      // The index orders dates, so expired entries are one interval: [oldest date, cutoff].
      const interval =
        index.dirs[0] === 1
          ? { lo: [new BracketBound(Rank.Date, -1)], loInc: true, hi: [cutoff], hiInc: true }
          : { lo: [cutoff], loInc: true, hi: [new BracketBound(Rank.Date, -1)], hiInc: true };
      const expired = new Map<string, Doc>();
      for (const id of scanInterval(index, interval)) {
        const doc = coll.docs.get(id);
        if (doc) expired.set(id, doc);
      }
      for (const doc of expired.values()) {
        coll.remove(doc);
        ops.push({ op: 'd', ns: coll.ns, id: doc._id });
      }
    }
  }
  return ops;
}
