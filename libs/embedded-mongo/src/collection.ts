import { UUID } from 'bson';
import { compareBson, keyString, rankOf, Rank, sortValue } from './bson-order.js';
import { CollectionIndex, type IndexSpec } from './collection-index.js';
import { asCommandError, ErrorCode, MongoCommandError } from './errors.js';
import { splitFastFilter } from './fast-match.js';
import type { Collation } from './collation.js';
import { mingoQuery, type EvalOptions } from './mingo-context.js';
import { isPlainObject, pathValues, type Doc } from './paths.js';
import { exactCount, planIds, planOr, planQuery, type IndexCount, type Plan, type SortSpec } from './planner.js';

export type Matcher = (doc: Doc) => boolean;

const MATCH_ALL: Matcher = () => true;

/** A filter without its top-level `$comment` (mongod takes it and matches nothing on it; mingo refuses it). */
export function withoutComment(filter: Doc): Doc {
  if (!('$comment' in filter)) return filter;
  const { $comment: _comment, ...rest } = filter;
  return rest;
}

export function compileFilter(given: Doc | undefined, opts: EvalOptions = {}): Matcher {
  const filter = given && withoutComment(given);
  if (!filter || Object.keys(filter).length === 0) return MATCH_ALL;
  try {
    // Simple conditions get native tests (fast-match.ts); strings compare binary, so not under a collation.
    const split = opts.collation ? undefined : splitFastFilter(filter);
    if (!split) {
      const q = mingoQuery(filter, opts);
      return (doc) => q.test(doc);
    }
    const { tests } = split;
    const rest = Object.keys(split.rest).length ? mingoQuery(split.rest, opts) : undefined;
    let whole: ReturnType<typeof mingoQuery> | undefined;
    return (doc) => {
      for (const test of tests) {
        const verdict = test(doc);
        if (verdict === false) return false;
        if (verdict === undefined) return (whole ??= mingoQuery(filter, opts)).test(doc);
      }
      return rest ? rest.test(doc) : true;
    };
  } catch (err) {
    throw asCommandError(err);
  }
}

export function parseSort(sort: unknown): SortSpec | undefined {
  if (!isPlainObject(sort)) return undefined;
  const spec: SortSpec = [];
  for (const [field, dir] of Object.entries(sort)) {
    if (isPlainObject(dir)) continue; // {$meta: ...} is not supported; ignore rather than fail
    if (typeof dir !== 'number')
      throw new MongoCommandError(15974, "$sort key ordering must be specified using a number or {$meta: 'textScore'}");
    if (dir !== 1 && dir !== -1)
      throw new MongoCommandError(15975, '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    spec.push([field, dir]);
  }
  return spec.length ? spec : undefined;
}

/** The values a document is sorted by, one per sort field. */
function sortKeys(doc: Doc, sort: SortSpec, collation?: Collation): unknown[] {
  return sort.map(([f, d]) => sortValue(pathValues(doc, f), d, collation));
}

/** Compares two documents' sort keys over the first `n` sort fields. */
function compareSortKeys(a: unknown[], b: unknown[], sort: SortSpec, n: number, collation?: Collation): number {
  for (let k = 0; k < n; k++) {
    const c = compareBson(a[k], b[k], collation);
    if (c !== 0) return c * sort[k][1];
  }
  return 0;
}

/** Sorts documents in MongoDB order (cross-type order, arrays by min/max element, strings by collation). Stable. */
export function sortDocs(docs: Doc[], sort: SortSpec, collation?: Collation): Doc[] {
  const keyed = docs.map((doc, i) => ({ doc, i, keys: sortKeys(doc, sort, collation) }));
  keyed.sort((a, b) => compareSortKeys(a.keys, b.keys, sort, sort.length, collation) || a.i - b.i);
  return keyed.map((k) => k.doc);
}

/**
 * Documents that come in order of the first `prefix` sort fields, put in the whole sort's order one run of ties
 * at a time; stops after the run that completes `wanted` documents.
 */
function sortRuns(docs: Iterable<Doc>, sort: SortSpec, prefix: number, wanted: number, collation?: Collation): Doc[] {
  const out: Doc[] = [];
  let run: Doc[] = [];
  let runKeys: unknown[] | undefined;
  const flush = (): void => {
    for (const doc of run.length > 1 ? sortDocs(run, sort, collation) : run) out.push(doc);
    run = [];
  };
  for (const doc of docs) {
    const keys = sortKeys(doc, sort, collation);
    if (runKeys && compareSortKeys(runKeys, keys, sort, prefix, collation) !== 0) {
      flush();
      if (out.length >= wanted) return out;
    }
    runKeys = keys;
    run.push(doc);
  }
  flush();
  return out;
}

export function idKeyOf(doc: Doc): string {
  return keyString(doc._id);
}

export interface FindOptions extends EvalOptions {
  sort?: SortSpec;
  skip?: number;
  limit?: number;
}

/** Counts of query work (mongod's serverStatus `metrics.queryExecutor`), shared by a catalog's collections. */
export interface QueryCounters {
  /** Documents a query read to test or return them (`scannedObjects`); counts from index entries read none. */
  docsExamined: number;
  /** Index entries a query read (`scanned`); a count by interval sizes reads none. */
  keysExamined: number;
}

/** A collection's documents and indexes, held in memory. All mutators keep every index consistent or throw. */
export class Collection {
  readonly docs = new Map<string, Doc>();
  readonly indexes: CollectionIndex[] = [];
  counters: QueryCounters = { docsExamined: 0, keysExamined: 0 };
  /** Incremented on every change. */
  version = 0;
  /** Told about every document change (with the previous version), for transaction snapshots. */
  onChange: ((coll: Collection, id: string, before: Doc | undefined) => void) | undefined;

  constructor(
    readonly db: string,
    readonly name: string,
    public options: Doc = {},
    readonly uuid: UUID = new UUID(),
  ) {
    this.indexes.push(new CollectionIndex({ v: 2, key: { _id: 1 }, name: '_id_' }, this.ns));
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  getIndex(name: string): CollectionIndex | undefined {
    return this.indexes.find((i) => i.name === name);
  }

  /** Throws the duplicate-key error the first unique index would raise for `doc` (ignoring document `selfId`). */
  checkUnique(doc: Doc, selfId: string, ignore?: (id: string) => boolean): void {
    for (const index of this.indexes) {
      if (!index.rejectsDuplicates) continue;
      if (index.name === '_id_') {
        const key = idKeyOf(doc);
        if (key !== selfId && this.docs.has(key) && !ignore?.(key)) throw index.duplicateKeyError([doc._id]);
        continue;
      }
      const hit = index.conflict(index.keysFor(doc), selfId, ignore);
      if (hit) throw index.duplicateKeyError(hit.key);
    }
  }

  insert(doc: Doc): void {
    validateId(doc._id);
    const id = idKeyOf(doc);
    if (this.docs.has(id)) throw this.indexes[0].duplicateKeyError([doc._id]);
    this.checkUnique(doc, id);
    // Compute every index's keys before touching any index, so a failure (parallel arrays) leaves no trace.
    const keys = this.indexes.map((index) => index.keysFor(doc));
    this.indexes.forEach((index, i) => index.add(keys[i], id));
    this.docs.set(id, doc);
    this.version++;
    this.onChange?.(this, id, undefined);
  }

  replace(target: Doc, newDoc: Doc): void {
    const id = idKeyOf(target);
    // Index keys come from the stored version, whatever copy the caller holds.
    const oldDoc = this.docs.get(id);
    if (!oldDoc) throw new MongoCommandError(ErrorCode.InternalError, `document ${id} vanished during update`);
    if (idKeyOf(newDoc) !== id) {
      throw new MongoCommandError(
        ErrorCode.ImmutableField,
        "Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }
    const changes: [CollectionIndex, unknown[][], unknown[][]][] = [];
    for (const index of this.indexes) {
      // Keys depend only on the indexed fields (and the partial filter): an update that leaves them alone leaves
      // the index alone, without expanding a multikey field into its entries twice to find out.
      if (!index.partial && index.fields.every((f) => sameValue(topLevel(oldDoc, f), topLevel(newDoc, f)))) continue;
      const before = index.keysFor(oldDoc);
      const after = index.keysFor(newDoc);
      if (sameKeys(before, after)) continue;
      if (index.rejectsDuplicates) {
        const hit = index.conflict(after, id);
        if (hit) throw index.duplicateKeyError(hit.key);
      }
      changes.push([index, before, after]);
    }
    for (const [index, before, after] of changes) {
      index.remove(before, id);
      index.add(after, id);
    }
    this.docs.set(id, newDoc);
    this.version++;
    this.onChange?.(this, id, oldDoc);
  }

  remove(doc: Doc): void {
    const id = idKeyOf(doc);
    const current = this.docs.get(id);
    if (!current) return;
    for (const index of this.indexes) index.remove(index.keysFor(current), id);
    this.docs.delete(id);
    this.version++;
    this.onChange?.(this, id, current);
  }

  /** Builds a new index over existing documents; throws DuplicateKey (leaving no trace) when data violates it. */
  createIndex(spec: IndexSpec): CollectionIndex {
    const index = new CollectionIndex(spec, this.ns);
    for (const [id, doc] of this.docs) {
      const keys = index.keysFor(doc);
      if (index.unique) {
        const hit = index.conflict(keys, id);
        if (hit) throw index.duplicateKeyError(hit.key);
      }
      index.add(keys, id);
    }
    this.indexes.push(index);
    this.version++;
    return index;
  }

  dropIndex(name: string): void {
    const i = this.indexes.findIndex((x) => x.name === name);
    if (i > 0) this.indexes.splice(i, 1);
    this.version++;
  }

  /** A view holds no documents; reads run its pipeline over its source (commands/views.ts). */
  get isView(): boolean {
    return typeof this.options.viewOn === 'string';
  }

  /** The default collation of the collection's queries and indexes (`create` option), if any. */
  get defaultCollation(): unknown {
    return this.options.collation;
  }

  plan(filter: Doc, sort?: SortSpec, collation?: Collation): Plan | undefined {
    return planQuery(filter, this.indexes, sort, collation);
  }

  /**
   * The count of `filter` from one index's entries alone, when an index answers the filter exactly; a walk over
   * entries stops once `upTo` documents are counted (a count with a limit needs no more).
   */
  countFromIndex(filter: Doc, collation?: Collation, upTo = Infinity): IndexCount | undefined {
    return exactCount(filter, this.indexes, collation, upTo, this.counters);
  }

  /** The documents of a plan's candidates that `match` accepts, in the plan's order. */
  private *planMatches(plan: Plan, match: Matcher): Generator<Doc> {
    for (const id of planIds(plan, this.counters)) {
      const doc = this.docs.get(id);
      if (!doc) continue;
      this.counters.docsExamined++;
      if (match(doc)) yield doc;
    }
  }

  /**
   * Documents matching `filter`, sorted, skipped and limited. Uses the _id map for _id equality,
   * an index plan for equality/range/sort when one applies, and a scan otherwise.
   */
  find(filter: Doc, opts: FindOptions = {}): Doc[] {
    const skip = opts.skip ?? 0;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;

    const collation = opts.collation;
    // The _id map compares binary; under a collation a string _id may equal other spellings.
    const idEq = collation ? undefined : directIdLookup(filter);
    // A filter that is only an _id equality is fully answered by the map (keys compare like MongoDB's $eq).
    const match =
      idEq !== undefined && Object.keys(filter).length === 1 && !opts.variables
        ? MATCH_ALL
        : compileFilter(filter, opts);
    const sortAll = (docs: Doc[]): Doc[] => (opts.sort ? sortDocs(docs, opts.sort, collation) : docs);
    // {$natural: ±1} alone is the collection's own order (its documents' insertion order), forwards or backwards.
    if (opts.sort?.length === 1 && opts.sort[0][0] === '$natural') {
      const out: Doc[] = [];
      // Forwards the map is walked as it stands (the walk stops at skip + limit); only backwards needs a copy.
      const ordered = opts.sort[0][1] === -1 ? [...this.docs.values()].reverse() : this.docs.values();
      for (const doc of ordered) {
        this.counters.docsExamined++;
        if (match(doc)) out.push(doc);
        if (out.length >= skip + limit) break;
      }
      return window(out, skip, limit);
    }
    if (idEq !== undefined) {
      const out: Doc[] = [];
      for (const v of idEq) {
        const doc = this.docs.get(keyString(v));
        if (!doc) continue;
        this.counters.docsExamined++;
        if (match(doc)) out.push(doc);
      }
      return window(out.length > 1 ? sortAll(out) : out, skip, limit);
    }

    const plan = this.plan(filter, opts.sort, collation);
    const out: Doc[] = [];
    if (plan && opts.sort && plan.sortedPrefix > 0) {
      const sorted = sortRuns(this.planMatches(plan, match), opts.sort, plan.sortedPrefix, skip + limit, collation);
      return window(sorted, skip, limit);
    }
    if (plan) {
      const stopAt = plan.sorted || !opts.sort ? skip + limit : Infinity;
      for (const doc of this.planMatches(plan, match)) {
        out.push(doc);
        if (out.length >= stopAt) break;
      }
      return window(plan.sorted ? out : sortAll(out), skip, limit);
    }
    const orPlans = planOr(filter, this.indexes, collation);
    if (orPlans) {
      const seen = new Set<string>();
      for (const p of orPlans) {
        for (const id of planIds(p, this.counters)) {
          if (seen.has(id)) continue;
          seen.add(id);
          const doc = this.docs.get(id);
          if (!doc) continue;
          this.counters.docsExamined++;
          if (match(doc)) out.push(doc);
        }
      }
      // Index order of the first plan is not the collection's natural order; keep results deterministic.
      return window(sortAll(out), skip, limit);
    }
    const stopAt = !opts.sort ? skip + limit : Infinity;
    for (const doc of this.docs.values()) {
      this.counters.docsExamined++;
      if (match(doc)) {
        out.push(doc);
        if (out.length >= stopAt) break;
      }
    }
    return window(sortAll(out), skip, limit);
  }
}

function window(docs: Doc[], skip: number, limit: number): Doc[] {
  if (skip === 0 && limit >= docs.length) return docs;
  return docs.slice(skip, limit === Infinity ? undefined : skip + limit);
}

/** The top-level field a (dotted) index path starts in: a path's values are a function of it. */
function topLevel(doc: Doc, path: string): unknown {
  const dot = path.indexOf('.');
  return doc[dot < 0 ? path : path.slice(0, dot)];
}

/** Structurally the same value: same types, same key order, same elements (stricter than comparing equal). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  }
  if (isPlainObject(a) || isPlainObject(b)) {
    if (!isPlainObject(a) || !isPlainObject(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || !sameValue(a[ka[i]], b[kb[i]])) return false;
    return true;
  }
  // BSON values (ObjectId, Long, Decimal128, Binary, …): the same type at the same place in the order.
  const type = (v: object) => (v as { _bsontype?: unknown })._bsontype;
  return type(a) !== undefined && type(a) === type(b) && compareBson(a, b) === 0;
}

function sameKeys(a: unknown[][], b: unknown[][]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return false;
    for (let j = 0; j < a[i].length; j++)
      if (compareBson(a[i][j], b[i][j]) !== 0 || rankOf(a[i][j]) !== rankOf(b[i][j])) return false;
  }
  return true;
}

/** `{_id: v}` or `{_id: {$eq: v}}` / `{_id: {$in: [...]}}` with plain values: answered from the _id map. */
function directIdLookup(filter: Doc): unknown[] | undefined {
  if (!('_id' in filter)) return undefined;
  const cond = filter._id;
  const plainValue = (v: unknown): boolean =>
    !Array.isArray(v) &&
    !(v instanceof RegExp) &&
    rankOf(v) !== Rank.RegExp &&
    !(isPlainObject(v) && Object.keys(v).some((k) => k.startsWith('$')));
  if (plainValue(cond)) return [cond];
  if (isPlainObject(cond)) {
    const keys = Object.keys(cond);
    if (keys.length === 1 && keys[0] === '$eq' && plainValue(cond.$eq)) return [cond.$eq];
    if (keys.length === 1 && keys[0] === '$in' && Array.isArray(cond.$in) && cond.$in.every(plainValue)) {
      const seen = new Set<string>();
      return (cond.$in as unknown[]).filter((v) => {
        const k = keyString(v);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
  }
  return undefined;
}

/**
 * The engine's planner picks its own index, but a hint naming no index of the collection fails as on mongod
 * (an index name, a key pattern, or {$natural: ±1}).
 */
export function checkHint(coll: Collection | undefined, hint: unknown): void {
  if (hint === undefined || !coll || coll.isView) return;
  if (typeof hint === 'string' ? coll.getIndex(hint) : isPlainObject(hint) && matchesIndex(coll, hint)) return;
  throw new MongoCommandError(
    ErrorCode.BadValue,
    'error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index',
  );
}

function matchesIndex(coll: Collection, hint: Doc): boolean {
  const keys = Object.keys(hint);
  if (keys.length === 1 && keys[0] === '$natural') return true;
  const wanted = keyString(hint);
  return coll.indexes.some((i) => keyString(i.spec.key) === wanted);
}

export function validateId(id: unknown): void {
  if (Array.isArray(id))
    throw new MongoCommandError(ErrorCode.InvalidIdField, "The '_id' value cannot be of type array");
  if (id instanceof RegExp || rankOf(id) === Rank.RegExp) {
    throw new MongoCommandError(ErrorCode.InvalidIdField, "can't use a regex for _id");
  }
  if (id === undefined) throw new MongoCommandError(ErrorCode.InvalidIdField, 'document is missing _id');
}
