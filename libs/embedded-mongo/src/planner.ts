import { BracketBound, compareBson, rankOf, Rank, type StringComparer } from './bson-order.js';
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
  /** True when scanning the intervals in order yields documents already in the requested sort order. */
  sorted: boolean;
  reverse: boolean;
  /** Human-readable summary, used by explain-style tests. */
  summary: string;
}

export type SortSpec = [string, 1 | -1][];

const MAX_INTERVALS = 1000;

/** Usable single-field predicates from the top level of a filter (and nested $and). */
export function extractPredicates(
  filter: Doc,
  out = new Map<string, FieldPredicate>(),
  collator?: StringComparer,
): Map<string, FieldPredicate> {
  const narrowEq = (pred: FieldPredicate, values: unknown[]): void => {
    if (pred.eq === undefined) pred.eq = values;
    else pred.eq = pred.eq.filter((a) => values.some((b) => compareBson(a, b, collator) === 0));
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
    if (pred.eq !== undefined || pred.lo !== undefined || pred.hi !== undefined) out.set(field, pred);
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
  for (const index of indexes) {
    if (collationKey(index.collation) !== wanted) continue;
    const c = planForIndex(index, preds, sort);
    if (c && (!best || c.score > best.score)) best = c;
  }
  return best?.plan;
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
  for (const field of index.fields) {
    const p = preds.get(field);
    if (!p) break;
    if (p.eq !== undefined) {
      if (index.sparse && p.eq.some((v) => v === null)) return undefined;
      prefix.push(p.eq);
      continue;
    }
    range = p;
    break;
  }
  const eqCount = prefix.length;
  const sortMatch = sort && sort.length > 0 ? sortAgreement(index, eqCount, sort) : undefined;
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
      // Multikey: two bounds may be satisfied by different elements, so only one side can bound the scan.
      const lo = range.lo;
      let hi = range.hi;
      let loInc = range.loInc ?? true;
      let hiInc = range.hiInc ?? true;
      if (index.multikey && lo !== undefined && hi !== undefined) {
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
  if (index.multikey && sortMatch) {
    // A multikey index lists a document once per element; its order is not the document sort order.
    if (eqCount === 0 && !range) return undefined;
  }
  const sorted = !!sortMatch && !index.multikey && intervals.length === 1;
  const full = eqCount === index.fields.length;
  let score = eqCount * 10 + (range ? 5 : 0) + (sorted ? 3 : 0);
  if (full && index.unique) score += 100;
  const summary = `IXSCAN ${index.name}${sorted ? ' (sorted' + (sortMatch === 'reverse' ? ', reverse)' : ')') : ''}`;
  return {
    score,
    plan: { index, intervals, sorted, reverse: sortMatch === 'reverse', summary },
  };
}

/** Whether the index, after `eqCount` equality fields, delivers `sort` in forward or reverse order. */
function sortAgreement(index: CollectionIndex, eqCount: number, sort: SortSpec): 'forward' | 'reverse' | undefined {
  // Sort fields may skip over equality-bound index fields, must then follow the index order.
  let i = 0;
  let relation: 'forward' | 'reverse' | undefined;
  for (const [field, dir] of sort) {
    while (i < eqCount && index.fields[i] !== field) i++;
    if (i >= index.fields.length || index.fields[i] !== field) return undefined;
    const same = index.dirs[i] === dir;
    const rel = same ? 'forward' : 'reverse';
    if (i >= eqCount) {
      if (relation && relation !== rel) return undefined;
      relation = rel;
    }
    i++;
  }
  return relation ?? 'forward';
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
  const before = (e: IndexEntry): boolean => {
    const c = comparePrefix(index, e.key, iv.lo);
    return iv.loInc ? c < 0 : c <= 0;
  };
  const after = (e: IndexEntry): boolean => {
    const c = comparePrefix(index, e.key, iv.hi);
    return iv.hiInc ? c > 0 : c >= 0;
  };
  if (!reverse) {
    for (const e of index.tree.scan(before, (e) => !after(e))) yield e.id;
  } else {
    for (const e of index.tree.scanReverse(after, (e) => !before(e))) yield e.id;
  }
}

/** Every candidate id of a plan, deduplicated (a multikey index can list a document several times). */
export function* planIds(plan: Plan): Generator<string> {
  const seen = plan.index.multikey || plan.intervals.length > 1 ? new Set<string>() : undefined;
  const intervals = plan.reverse ? [...plan.intervals].reverse() : plan.intervals;
  for (const iv of intervals) {
    for (const id of scanInterval(plan.index, iv, plan.reverse)) {
      if (seen) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      yield id;
    }
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
