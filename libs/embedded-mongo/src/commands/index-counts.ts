import type { Collation } from '../collation.js';
import type { Collection } from '../collection.js';
import { isPlainObject, type Doc } from '../paths.js';

/**
 * Aggregations that only count: an optional leading `$match`, any `$skip`/`$limit`, then `$count` or the `$group`
 * the driver's countDocuments sends (`{_id: <constant>, n: {$sum: 1}}`). When the collection's size (no filter) or
 * one index's entries (an exactly covered filter, as mongod's COUNT_SCAN) give the count, the answer is built
 * without reading a document. Undefined for any other shape or filter: the pipeline then runs as usual (and
 * reports its own errors, e.g. a `$limit` of 0).
 */
export function countWithoutDocuments(coll: Collection, stages: Doc[], collation?: Collation): Doc[] | undefined {
  const last = stages.length > 0 ? countOutput(stages[stages.length - 1]) : undefined;
  if (!last) return undefined;
  let filter: Doc = {};
  let rest = stages.slice(0, -1);
  const first = rest[0];
  if (first && singleStage(first, '$match')) {
    if (!isPlainObject(first.$match)) return undefined;
    filter = first.$match;
    rest = rest.slice(1);
  }
  // The stages keep at most `needed` of the matches (a limit after skips), so a count may stop there.
  let needed = Infinity;
  let skipped = 0;
  for (const stage of rest) {
    if (singleStage(stage, '$skip') && nonNegativeInteger(stage.$skip)) skipped += stage.$skip;
    else if (singleStage(stage, '$limit') && nonNegativeInteger(stage.$limit) && stage.$limit > 0)
      needed = Math.min(needed, skipped + stage.$limit);
    else return undefined;
  }
  let total: number;
  if (Object.keys(filter).length === 0) total = coll.docs.size;
  else {
    const counted = coll.countFromIndex(filter, collation, needed);
    if (!counted) return undefined;
    total = counted.count;
  }
  for (const stage of rest) {
    if (singleStage(stage, '$skip') && nonNegativeInteger(stage.$skip)) total = Math.max(0, total - stage.$skip);
    else if (singleStage(stage, '$limit') && nonNegativeInteger(stage.$limit)) total = Math.min(total, stage.$limit);
  }
  // Both stages emit nothing for no input.
  return total === 0 ? [] : [last(total)];
}

/** Whether a pipeline element (typed Doc, but anything the client sent) is exactly the stage `name`. */
function singleStage(stage: Doc, name: string): boolean {
  return isPlainObject(stage) && name in stage && Object.keys(stage).length === 1;
}

function nonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** The result document a counting last stage makes of the count, or undefined when the stage is not one. */
function countOutput(stage: Doc): ((n: number) => Doc) | undefined {
  if (singleStage(stage, '$count')) {
    const field = stage.$count;
    if (typeof field !== 'string' || field === '' || field.startsWith('$') || field.includes('.')) return undefined;
    return (n) => ({ [field]: n });
  }
  if (!singleStage(stage, '$group') || !isPlainObject(stage.$group)) return undefined;
  const entries = Object.entries(stage.$group);
  if (entries.length !== 2 || entries[0][0] !== '_id' || !constantId(entries[0][1])) return undefined;
  const id = entries[0][1];
  const [field, acc] = entries[1];
  if (field.startsWith('$') || field.includes('.')) return undefined;
  if (!isPlainObject(acc) || Object.keys(acc).length !== 1 || acc.$sum !== 1) return undefined;
  return (n) => ({ _id: id, [field]: n });
}

/** A group key every document shares: a literal that is not a field path or an expression. */
function constantId(v: unknown): boolean {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return true;
  return typeof v === 'string' && !v.startsWith('$');
}
