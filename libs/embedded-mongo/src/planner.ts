import { BracketBound, compareBson, compareStrings, rankOf, Rank, type StringComparer } from './bson-order.js';
import { collationKey, type Collation } from './collation.js';
import type { CollectionIndex, IndexEntry } from './collection-index.js';
import { isPlainObject, type Doc } from './paths.js';

/**
 * Picks an index for a filter (and optionally a sort) and turns the filter's predicates into index intervals.
 * Plans are conservative: they may return extra candidates (the caller always re-applies the full filter),
 * never fewer than match.
 */

export interface FieldPredicate {
  eq?: unknown[];
  /** `$all` values: every one must be present, so an equality on any one of them (the rarest) bounds a scan. */
  all?: unknown[];
  lo?: unknown;
  loInc?: boolean;
  hi?: unknown;
  hiInc?: boolean;
}

export interface Interval {
  lo: unknown[];
  loInc: boolean;
  hi: unknown[];
  hiInc: boolean;
}

export interface Plan {
  index: CollectionIndex;
  intervals: Interval[];
  /**
   * True when the plan yields documents already in the requested sort order: one interval scanned in order, or
   * several intervals each in sort order, merged (MongoDB's SORT_MERGE).
   */
  sorted: boolean;
  /**
   * When the plan is not `sorted`: how many leading fields of the requested sort its documents come in order of
   * (0 for none). Documents that tie on those fields come together, so sorting each such run by the rest of the
   * sort gives the whole sort without holding every candidate (a sort on `{at: -1, _id: -1}` over an index
   * ending in `at`).
   */
  sortedPrefix: number;
  /** The sort the intervals are merged by, when there are several (each in the order of the sort or its prefix). */
  merge?: SortSpec;
  reverse: boolean;
  /** Human-readable summary, used by explain-style tests. */
  summary: string;
}

export type SortSpec = [string, 1 | -1][];

const MAX_INTERVALS = 1000;
/** At most this many sorted intervals are merged into one sorted scan. */
const MAX_MERGE = 32;

/** Usable single-field predicates from the top level of a filter (and nested $and). */
export function extractPredicates(
  filter: Doc,
  out = new Map<string, FieldPredicate>(),
  collator?: StringComparer,
): Map<string, FieldPredicate> {
  // Two equalities on one field bound it twice. Their intersection would be right for a scalar field only: an array
  // holds both values at once ({$and: [{tags: 'a'}, {tags: 'b'}]}), so the shorter list is kept (a superset).
  const narrowEq = (pred: FieldPredicate, values: unknown[]): void => {
    if (pred.eq === undefined || values.length < pred.eq.length) pred.eq = values;
  };
  const setLo = (pred: FieldPredicate, v: unknown, inc: boolean): void => {
    const c = pred.lo === undefined ? 1 : compareBson(v, pred.lo, collator);
    if (c > 0 || (c === 0 && !inc)) {
      pred.lo = v;
      pred.loInc = inc;
    }
  };
  const setHi = (pred: FieldPredicate, v: unknown, inc: boolean): void => {
    const c = pred.hi === undefined ? -1 : compareBson(v, pred.hi, collator);
    if (c < 0 || (c === 0 && !inc)) {
      pred.hi = v;
      pred.hiInc = inc;
    }
  };
  for (const [field, cond] of Object.entries(filter)) {
    if (field === '$and' && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainObject(sub)) extractPredicates(sub, out, collator);
      continue;
    }
    if (field.startsWith('$')) continue;
    const pred = out.get(field) ?? {};
    if (isOperatorObject(cond)) {
      for (const [op, v] of Object.entries(cond)) {
        switch (op) {
          case '$eq':
            if (indexableValue(v)) narrowEq(pred, [v]);
            break;
          case '$in':
            if (Array.isArray(v) && v.every(indexableValue)) narrowEq(pred, v);
            break;
          case '$all':
            if (Array.isArray(v) && v.length > 0 && v.every((x) => indexableValue(x) && x !== null)) {
              pred.all = [...(pred.all ?? []), ...(v as unknown[])];
            }
            break;
          case '$gt':
          case '$gte':
            if (indexableValue(v) && v !== null) setLo(pred, v, op === '$gte');
            break;
          case '$lt':
          case '$lte':
            if (indexableValue(v) && v !== null) setHi(pred, v, op === '$lte');
            break;
          default:
            break;
        }
      }
    } else if (indexableValue(cond)) {
      narrowEq(pred, [cond]);
    }
    if (pred.eq !== undefined || pred.all !== undefined || pred.lo !== undefined || pred.hi !== undefined) {
      out.set(field, pred);
    }
  }
  return out;
}

function isOperatorObject(v: unknown): v is Doc {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/** Values whose equality semantics an index entry can answer (arrays and regexes match differently). */
function indexableValue(v: unknown): boolean {
  if (Array.isArray(v) || v instanceof RegExp) return false;
  const r = rankOf(v);
  return (
    r !== Rank.RegExp &&
    r !== Rank.MinKey &&
    r !== Rank.MaxKey &&
    !(isPlainObject(v) && Object.keys(v).some((k) => k.startsWith('$')))
  );
}

interface Candidate {
  plan: Plan;
  score: number;
}

/**
 * The best index plan for `filter` under `collation`. An index serves only queries of its own collation (as in
 * MongoDB), since its order and equality of strings are that collation's.
 */
export function planQuery(
  filter: Doc,
  indexes: CollectionIndex[],
  sort?: SortSpec,
  collation?: Collation,
): Plan | undefined {
  const preds = extractPredicates(filter, undefined, collation);
  const wanted = collationKey(collation);
  let best: Candidate | undefined;
  let bestSize: number | undefined;
  for (const index of indexes) {
    if (collationKey(index.collation) !== wanted) continue;
    const c = planForIndex(index, preds, sort);
    if (!c) continue;
    if (!best || c.score > best.score) {
      best = c;
      bestSize = undefined;
    } else if (c.score === best.score) {
      // Equally good by shape: the one with fewer index entries to visit (binary searches, no entry read).
      bestSize ??= planSize(best.plan);
      const size = planSize(c.plan);
      if (size < bestSize) {
        best = c;
        bestSize = size;
      }
    }
  }
  return best?.plan;
}

/** How many index entries a plan's intervals hold (a multikey index's may list a document several times). */
function planSize(plan: Plan): number {
  if (plan.intervals.length > MAX_MERGE) return Infinity;
  let n = 0;
  for (const iv of plan.intervals) n += intervalCount(plan.index, iv);
  return n;
}

function planForIndex(
  index: CollectionIndex,
  preds: Map<string, FieldPredicate>,
  sort?: SortSpec,
): Candidate | undefined {
  // A partial index may lack matching documents; a sparse one lacks documents missing the field.
  if (index.partial) return undefined;
  const prefix: unknown[][] = [];
  let range: FieldPredicate | undefined;
  for (let depth = 0; depth < index.fields.length; depth++) {
    const p = preds.get(index.fields[depth]);
    if (!p) break;
    const eq = p.eq ?? (p.all ? [rarest(index, prefix, p.all)] : undefined);
    if (eq !== undefined) {
      if (index.sparse && eq.some((v) => v === null)) return undefined;
      prefix.push(eq);
      continue;
    }
    if (p.lo === undefined && p.hi === undefined) break;
    // A range before a field that bounds or sorts: its few values, each an interval in that field's order (merged
    // as mongod's SORT_MERGE merges the points of an $in).
    const next = index.fields[depth + 1];
    const points =
      next !== undefined && (preds.has(next) || sort?.some(([f]) => f === next))
        ? splitRange(index, prefix, p, depth)
        : undefined;
    if (points) {
      prefix.push(points);
      continue;
    }
    range = p;
    break;
  }
  const eqCount = prefix.length;
  const sortMatch = sort && sort.length > 0 ? sortAgreement(index, eqCount, sort) : undefined;
  // An index scan alone (no bounds) pays only when it gives the order.
  if (eqCount === 0 && !range && !sortMatch) return undefined;
  if (index.sparse && eqCount === 0 && !range) return undefined;

  // Intervals: cartesian product of the equality lists, then the range (or everything) on the next field.
  let tuples: unknown[][] = [[]];
  for (const values of prefix) {
    const next: unknown[][] = [];
    for (const t of tuples) for (const v of values) next.push([...t, v]);
    tuples = next;
    if (tuples.length > MAX_INTERVALS) return undefined;
  }
  const intervals: Interval[] = [];
  for (const t of tuples) {
    if (range) {
      const dir = index.dirs[eqCount];
      // A field that held an array: two bounds may be satisfied by different elements, so only one side can bound
      // the scan (mongod intersects them only under $elemMatch). Other fields of a multikey index are intersected.
      const lo = range.lo;
      let hi = range.hi;
      let loInc = range.loInc ?? true;
      let hiInc = range.hiInc ?? true;
      if (index.fieldMultikey(eqCount) && lo !== undefined && hi !== undefined) {
        hi = undefined;
        hiInc = true;
      }
      const loV = lo !== undefined ? lo : new BracketBound(rankOf(hi), -1);
      const hiV = hi !== undefined ? hi : new BracketBound(rankOf(lo), 1);
      if (lo === undefined) loInc = true;
      if (hi === undefined) hiInc = true;
      intervals.push(
        dir === 1
          ? { lo: [...t, loV], loInc, hi: [...t, hiV], hiInc }
          : { lo: [...t, hiV], loInc: hiInc, hi: [...t, loV], hiInc: loInc },
      );
    } else {
      intervals.push({ lo: t, loInc: true, hi: t, hiInc: true });
    }
  }
  // Each interval is in the order of the sort fields the index agrees with (none of which held an array) after the
  // equality prefix; several intervals are merged by them (few enough to compare their heads one by one).
  const ordered = !!sortMatch && intervals.length > 0 && intervals.length <= MAX_MERGE;
  const byFields = ordered && sort ? sort.slice(0, sortMatch.fields) : undefined;
  const merge = byFields && intervals.length > 1 ? byFields : undefined;
  const sorted = ordered && sortMatch.fields === sort?.length;
  const sortedPrefix = ordered && !sorted ? sortMatch.fields : 0;
  const full = eqCount === index.fields.length;
  let score = eqCount * 10 + (range ? 5 : 0) + (sorted ? 3 : sortedPrefix > 0 ? 1 : 0);
  if (full && index.unique) score += 100;
  const reverse = sortMatch?.relation === 'reverse';
  const how = sorted ? 'sorted' : `sorted by ${sortedPrefix} of ${sort?.length} sort fields`;
  const order = ordered ? ` (${merge ? 'merged, ' : ''}${how}${reverse ? ', reverse' : ''})` : '';
  return {
    score,
    plan: { index, intervals, sorted, sortedPrefix, merge, reverse, summary: `IXSCAN ${index.name}${order}` },
  };
}

/**
 * The values index field `depth` holds in a range, under each tuple of the equality prefix (a skip scan: one
 * binary search per value); undefined for a field that held an array (a document may then meet the two sides of
 * the range with two elements) or past MAX_MERGE intervals in all.
 */
function splitRange(
  index: CollectionIndex,
  prefix: unknown[][],
  range: FieldPredicate,
  depth: number,
): unknown[] | undefined {
  if (index.fieldMultikey(depth)) return undefined;
  let tuples: unknown[][] = [[]];
  for (const vs of prefix) {
    tuples = tuples.flatMap((t) => vs.map((v) => [...t, v]));
    if (tuples.length > MAX_MERGE) return undefined;
  }
  const most = Math.floor(MAX_MERGE / tuples.length);
  const found: unknown[] = [];
  for (const t of tuples) {
    const vs = valuesInRange(index, rangeInterval(index, t, range), depth, most);
    if (!vs) return undefined;
    found.push(...vs);
  }
  const values = distinct(found, index.collation);
  return values.length > 0 && values.length <= most ? values : undefined;
}

/** Entries of the index inside an interval, counted without visiting them. */
export function intervalCount(index: CollectionIndex, iv: Interval): number {
  return index.tree.count(
    (e) => {
      const c = comparePrefix(index, e.key, iv.lo);
      return iv.loInc ? c < 0 : c <= 0;
    },
    (e) => {
      const c = comparePrefix(index, e.key, iv.hi);
      return iv.hiInc ? c > 0 : c >= 0;
    },
  );
}

/**
 * Of `$all`'s values, the one with the fewest index entries under the equality prefix so far: every match holds
 * all of them, so the rarest one is the narrowest scan. Counting is two binary searches per value and prefix.
 */
function rarest(index: CollectionIndex, prefix: unknown[][], values: unknown[]): unknown {
  let tuples: unknown[][] = [[]];
  for (const vs of prefix) {
    tuples = tuples.flatMap((t) => vs.map((v) => [...t, v]));
    if (tuples.length > MAX_MERGE) return values[0];
  }
  let best = values[0];
  let fewest = Infinity;
  for (const v of values) {
    let n = 0;
    for (const t of tuples) n += intervalCount(index, { lo: [...t, v], loInc: true, hi: [...t, v], hiInc: true });
    if (n < fewest) {
      fewest = n;
      best = v;
    }
  }
  return best;
}

/**
 * How many leading fields of `sort` the index, after `eqCount` equality fields, delivers in order, and whether it
 * does so scanned forward or in reverse; undefined when not even the first. A field that held an array stops the
 * agreement: a document is listed once per element, and its sort key (the least or greatest element) is not the
 * key an equality bound picks.
 */
function sortAgreement(
  index: CollectionIndex,
  eqCount: number,
  sort: SortSpec,
): { fields: number; relation: 'forward' | 'reverse' } | undefined {
  // Sort fields may skip over equality-bound index fields, must then follow the index order.
  let i = 0;
  let fields = 0;
  let relation: 'forward' | 'reverse' | undefined;
  for (const [field, dir] of sort) {
    while (i < eqCount && index.fields[i] !== field) i++;
    if (i >= index.fields.length || index.fields[i] !== field || index.fieldMultikey(i)) break;
    const rel = index.dirs[i] === dir ? 'forward' : 'reverse';
    if (i >= eqCount) {
      if (relation && relation !== rel) break;
      relation = rel;
    }
    fields++;
    i++;
  }
  return fields > 0 ? { fields, relation: relation ?? 'forward' } : undefined;
}

/** Compares the first n components of an index key against a bound tuple in index order. */
function comparePrefix(index: CollectionIndex, key: unknown[], bound: unknown[]): number {
  for (let i = 0; i < bound.length; i++) {
    const c = compareBson(key[i], bound[i], index.collation);
    if (c !== 0) return c * index.dirs[i];
  }
  return 0;
}

/** Document ids an interval covers, in index order (or reverse). */
export function* scanInterval(index: CollectionIndex, iv: Interval, reverse = false): Generator<string> {
  for (const e of scanEntries(index, iv, reverse)) yield e.id;
}

/** The entries an interval covers, in index order (or reverse). */
function* scanEntries(
  index: CollectionIndex,
  iv: Interval,
  reverse = false,
  counters?: ScanCounters,
): Generator<IndexEntry> {
  const before = (e: IndexEntry): boolean => {
    const c = comparePrefix(index, e.key, iv.lo);
    return iv.loInc ? c < 0 : c <= 0;
  };
  const after = (e: IndexEntry): boolean => {
    const c = comparePrefix(index, e.key, iv.hi);
    return iv.hiInc ? c > 0 : c >= 0;
  };
  const entries = reverse
    ? index.tree.scanReverse(after, (e) => !before(e))
    : index.tree.scan(before, (e) => !after(e));
  if (!counters) {
    yield* entries;
    return;
  }
  for (const e of entries) {
    counters.keysExamined++;
    yield e;
  }
}

/** The entries of several intervals, each in sort order, merged into one sequence in sort order (then by id). */
function* mergeIntervals(plan: Plan, sort: SortSpec, counters?: ScanCounters): Generator<IndexEntry> {
  const { index } = plan;
  const positions = sort.map(([field, dir]) => [index.fields.indexOf(field), dir] as const);
  const tie = plan.reverse ? -1 : 1;
  const cmp = (a: IndexEntry, b: IndexEntry): number => {
    for (const [pos, dir] of positions) {
      const c = compareBson(a.key[pos], b.key[pos], index.collation);
      if (c !== 0) return c * dir;
    }
    return compareStrings(a.id, b.id) * tie;
  };
  const scans = plan.intervals.map((iv) => scanEntries(index, iv, plan.reverse, counters));
  const heads = scans.map((it) => it.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h.done) continue;
      if (best < 0 || cmp(h.value, heads[best].value as IndexEntry) < 0) best = i;
    }
    if (best < 0) return;
    yield heads[best].value as IndexEntry;
    heads[best] = scans[best].next();
  }
}

/** Every candidate id of a plan, deduplicated (a multikey index can list a document several times). */
export function* planIds(plan: Plan, counters?: ScanCounters): Generator<string> {
  const seen = plan.index.multikey || plan.intervals.length > 1 ? new Set<string>() : undefined;
  const fresh = (id: string): boolean => {
    if (!seen) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
  if (plan.merge) {
    for (const e of mergeIntervals(plan, plan.merge, counters)) if (fresh(e.id)) yield e.id;
    return;
  }
  const intervals = plan.reverse ? [...plan.intervals].reverse() : plan.intervals;
  for (const iv of intervals) {
    for (const e of scanEntries(plan.index, iv, plan.reverse, counters)) if (fresh(e.id)) yield e.id;
  }
}

/**
 * Plans for a top-level `$or` whose every branch can use an index (the union of their ids is then a superset
 * of the matches). Undefined when any branch would need a scan.
 */
export function planOr(filter: Doc, indexes: CollectionIndex[], collation?: Collation): Plan[] | undefined {
  const branches = filter.$or;
  if (!Array.isArray(branches) || branches.length === 0) return undefined;
  const plans: Plan[] = [];
  for (const branch of branches) {
    if (!isPlainObject(branch)) return undefined;
    const plan = planQuery(branch, indexes, undefined, collation);
    if (!plan) return undefined;
    plans.push(plan);
  }
  return plans;
}

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte']);

/** A value whose equality and order an index entry answers exactly (no null: it also matches a missing field). */
function exactValue(v: unknown): boolean {
  return (
    indexableValue(v) && v !== null && v !== undefined && !isPlainObject(v) && !(typeof v === 'number' && isNaN(v))
  );
}

/** Distinct values under the index's comparison (so equality intervals never overlap). */
function distinct(values: unknown[], collator?: StringComparer): unknown[] {
  const out: unknown[] = [];
  for (const v of values) if (!out.some((o) => compareBson(o, v, collator) === 0)) out.push(v);
  return out;
}

/** Counts of index work, shared with a catalog's collections (mongod's `metrics.queryExecutor.scanned`). */
export interface ScanCounters {
  /** Index entries read (a count by interval sizes reads none). */
  keysExamined: number;
}

/** One filter field's condition, as index bounds that answer it exactly. */
interface ExactCondition {
  eq?: unknown[];
  range?: FieldPredicate;
}

/** The filter as exact per-field conditions (equality, `$in`, or one range of one type), or undefined. */
function exactConditions(filter: Doc, collation?: Collation): Map<string, ExactCondition> | undefined {
  const out = new Map<string, ExactCondition>();
  for (const [field, cond] of Object.entries(filter)) {
    if (field.startsWith('$')) return undefined;
    if (exactValue(cond)) {
      out.set(field, { eq: [cond] });
      continue;
    }
    if (!isOperatorObject(cond)) return undefined;
    const ops = Object.entries(cond);
    if (ops.length === 1 && ops[0][0] === '$eq' && exactValue(ops[0][1])) {
      out.set(field, { eq: [ops[0][1]] });
    } else if (ops.length === 1 && ops[0][0] === '$in' && Array.isArray(ops[0][1]) && ops[0][1].every(exactValue)) {
      out.set(field, { eq: distinct(ops[0][1] as unknown[], collation) });
    } else if (
      ops.every(([op, v]) => RANGE_OPS.has(op) && exactValue(v)) &&
      new Set(ops.map(([, v]) => rankOf(v))).size === 1
    ) {
      const range = extractPredicates({ [field]: cond }, undefined, collation).get(field);
      if (!range) return undefined;
      out.set(field, { range });
    } else {
      return undefined;
    }
  }
  return out.size > 0 ? out : undefined;
}

/** Whether an index key component satisfies a condition exactly as the filter would (one element of it). */
function satisfies(value: unknown, cond: ExactCondition, collation?: Collation): boolean {
  if (cond.eq) return cond.eq.some((v) => rankOf(v) === rankOf(value) && compareBson(value, v, collation) === 0);
  const { lo, loInc, hi, hiInc } = cond.range ?? {};
  const bound = lo ?? hi;
  if (rankOf(value) !== rankOf(bound) || (typeof value === 'number' && Number.isNaN(value))) return false;
  if (lo !== undefined) {
    const c = compareBson(value, lo, collation);
    if (c < 0 || (c === 0 && loInc === false)) return false;
  }
  if (hi !== undefined) {
    const c = compareBson(value, hi, collation);
    if (c > 0 || (c === 0 && hiInc === false)) return false;
  }
  return true;
}

/**
 * The distinct values index field `depth` holds inside an interval over the fields before it and a range on it,
 * found by one binary search per value (a skip scan); undefined past `most` of them.
 */
function valuesInRange(index: CollectionIndex, iv: Interval, depth: number, most: number): unknown[] | undefined {
  const values: unknown[] = [];
  let from = iv.lo;
  let fromInc = iv.loInc;
  for (;;) {
    const next = scanEntries(index, { lo: from, loInc: fromInc, hi: iv.hi, hiInc: iv.hiInc }).next();
    if (next.done) return values;
    if (values.length >= most) return undefined;
    const v = next.value.key[depth];
    values.push(v);
    from = [...next.value.key.slice(0, depth), v];
    fromInc = false;
  }
}

/** A count from index entries alone: the count (up to the limit asked), the index, and whether entries were read. */
export interface IndexCount {
  count: number;
  index: CollectionIndex;
  /** True when the count read index entries (bounds on later fields, or a document listed under several keys). */
  walked: boolean;
}

/**
 * How many documents match `filter`, from index entries alone, when one index's bounds answer it exactly
 * (MongoDB's COUNT_SCAN, or a count over an index scan): every condition is an equality, `$in` or range of one
 * type on a field of the index, the first field of the index is bounded, and no field that held an array has a
 * range. Equalities on the leading fields and then a range make the intervals; a range followed by further
 * bounded fields is split into the few values it holds (found by skip scan), so the next field bounds too.
 * Bounds on fields after the intervals' are checked on each entry. Intervals alone are counted by their sizes
 * (two binary searches each, no entry read); otherwise entries are read, each document counted once, and the
 * walk stops at `upTo` (skip + limit). Undefined when no index does.
 */
export function exactCount(
  filter: Doc,
  indexes: CollectionIndex[],
  collation?: Collation,
  upTo = Infinity,
  counters?: ScanCounters,
): IndexCount | undefined {
  const conds = exactConditions(filter, collation);
  if (!conds) return undefined;
  const wanted = collationKey(collation);
  let best: { plan: CountPlan; cost: number } | undefined;
  for (const index of indexes) {
    if (index.partial || collationKey(index.collation) !== wanted) continue;
    const plan = countPlan(index, conds);
    if (!plan) continue;
    // Interval sizes alone cost nothing; a walk costs its entries.
    const cost = plan.walk ? 1 + plan.intervals.reduce((n, iv) => n + intervalCount(index, iv), 0) : 0;
    if (!best || cost < best.cost) best = { plan, cost };
    if (cost === 0) break;
  }
  if (!best) return undefined;
  const { index, intervals, residual, dedupe, walk } = best.plan;
  if (!walk) {
    let count = 0;
    for (const iv of intervals) count += intervalCount(index, iv);
    return { count: Math.min(count, upTo), index, walked: false };
  }
  const seen = dedupe ? new Set<string>() : undefined;
  let count = 0;
  for (const iv of intervals) {
    for (const e of scanEntries(index, iv, false, counters)) {
      if (!residual.every(([pos, cond]) => satisfies(e.key[pos], cond, collation))) continue;
      if (seen) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
      }
      if (++count >= upTo) return { count, index, walked: true };
    }
  }
  return { count, index, walked: true };
}

interface CountPlan {
  index: CollectionIndex;
  intervals: Interval[];
  /** Bounds checked on each entry: index field position and condition. */
  residual: [number, ExactCondition][];
  /** Whether a document may be listed in several entries the intervals hold. */
  dedupe: boolean;
  walk: boolean;
}

function countPlan(index: CollectionIndex, conds: Map<string, ExactCondition>): CountPlan | undefined {
  const positions = index.fields.map((f) => conds.get(f));
  if (!positions[0] || [...conds.keys()].some((f) => !index.fields.includes(f))) return undefined;
  // A range on a field that held an array may be met by two elements, one per side: no index bound is exact.
  if (positions.some((c, i) => c?.range && index.fieldMultikey(i))) return undefined;
  // A document is listed once per element of an array field: once in total only when each such field is bound
  // to one value.
  const dedupe = positions.some((c, i) => index.fieldMultikey(i) && !(c?.eq && c.eq.length === 1));
  let tuples: unknown[][] = [[]];
  let depth = 0;
  let range: FieldPredicate | undefined;
  for (; depth < positions.length; depth++) {
    const c = positions[depth];
    if (!c) break;
    let values = c.eq;
    if (!values && c.range) {
      const later = positions.slice(depth + 1).some((x) => x !== undefined);
      const most = Math.floor(MAX_MERGE / tuples.length);
      if (later && most > 0) {
        let found: unknown[] | undefined = [];
        for (const t of tuples) {
          const vs = valuesInRange(index, rangeInterval(index, t, c.range), depth, most - found.length);
          if (!vs) {
            found = undefined;
            break;
          }
          found.push(...vs);
        }
        values = found && distinct(found, index.collation);
      }
      if (!values) {
        range = c.range;
        depth++;
        break;
      }
    }
    if (!values) break;
    const next: unknown[][] = [];
    for (const t of tuples) for (const v of values) next.push([...t, v]);
    tuples = next;
    if (tuples.length > MAX_INTERVALS) return undefined;
  }
  const intervals = tuples.map((t) => (range ? rangeInterval(index, t, range) : point(t)));
  const residual: [number, ExactCondition][] = [];
  positions.forEach((c, i) => {
    if (c && i >= depth) residual.push([i, c]);
  });
  return { index, intervals, residual, dedupe, walk: dedupe || residual.length > 0 };
}

function point(t: unknown[]): Interval {
  return { lo: t, loInc: true, hi: t, hiInc: true };
}

/**
 * The interval of a range on the field after the tuple `t`, in index order. A number range open on one side is
 * closed there by an infinity (NaN, below every number in the index, matches no range).
 */
function rangeInterval(index: CollectionIndex, t: unknown[], range: FieldPredicate): Interval {
  const { lo, hi } = range;
  const numeric = rankOf(lo ?? hi) === Rank.Number;
  const loV = lo !== undefined ? lo : numeric ? -Infinity : new BracketBound(rankOf(hi), -1);
  const hiV = hi !== undefined ? hi : numeric ? Infinity : new BracketBound(rankOf(lo), 1);
  const loInc = lo === undefined || range.loInc !== false;
  const hiInc = hi === undefined || range.hiInc !== false;
  return index.dirs[t.length] === 1
    ? { lo: [...t, loV], loInc, hi: [...t, hiV], hiInc }
    : { lo: [...t, hiV], loInc: hiInc, hi: [...t, loV], hiInc: loInc };
}
