import type { Query } from 'mingo/query';
import { compareBson, compareStrings, keyString, type Direction } from './bson-order.js';
import { ErrorCode, MongoCommandError } from './errors.js';
import { parseCollation, type Collation } from './collation.js';
import { mingoQuery } from './mingo-context.js';
import { pathValues, type Doc } from './paths.js';
import { SortedIndex } from './sorted-index.js';

export interface IndexSpec {
  v?: number;
  key: Record<string, unknown>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  [option: string]: unknown;
}

export interface IndexEntry {
  key: unknown[];
  id: string;
}

/** One secondary (or the _id) index: a sorted set of (key tuple, document id) entries. */
export class CollectionIndex {
  readonly fields: string[];
  readonly dirs: Direction[];
  readonly sparse: boolean;
  readonly partial: Query | null;
  /** Strings in this index are ordered (and unique) under this collation; undefined = binary. */
  readonly collation: Collation | undefined;
  /**
   * Per index field, the depths (path components) at which some document indexed so far held an array: mongod's
   * `multiKeyPaths`. Sticky like mongod's, until the index is rebuilt (on restart, from the documents then stored).
   */
  readonly arrayDepths: Set<number>[];
  /** Scratch sets for `keysFor`, merged into `arrayDepths` once a document's keys are known to be valid. */
  private readonly scratch: Set<number>[];
  readonly tree: SortedIndex<IndexEntry>;

  constructor(
    readonly spec: IndexSpec,
    readonly ns: string,
  ) {
    this.fields = Object.keys(spec.key);
    if (this.fields.length === 0) throw new MongoCommandError(ErrorCode.BadValue, 'Index keys cannot be empty.');
    this.arrayDepths = this.fields.map(() => new Set<number>());
    this.scratch = this.fields.map(() => new Set<number>());
    this.dirs = this.fields.map((f) => (spec.key[f] === -1 || spec.key[f] === -1.0 ? -1 : 1));
    this.sparse = spec.sparse === true;
    const collation = parseCollation(spec.collation);
    this.collation = collation;
    this.partial = spec.partialFilterExpression ? mingoQuery(spec.partialFilterExpression, { collation }) : null;
    const dirs = this.dirs;
    this.tree = new SortedIndex<IndexEntry>((a, b) => {
      for (let i = 0; i < dirs.length; i++) {
        const c = compareBson(a.key[i], b.key[i], collation);
        if (c !== 0) return c * dirs[i];
      }
      return compareStrings(a.id, b.id);
    });
  }

  get name(): string {
    return this.spec.name;
  }

  /** Read from the spec, which collMod changes in place (converting an index to unique). */
  get unique(): boolean {
    return this.spec.unique === true || this.spec.name === '_id_';
  }

  /**
   * Whether a new key may not repeat one already held: a unique index, or one being prepared for conversion to
   * unique (`prepareUnique`, which leaves the duplicates it already holds alone).
   */
  get rejectsDuplicates(): boolean {
    return this.unique || this.spec.prepareUnique === true;
  }

  /** The ids of the documents sharing a key, per key held by more than one (what blocks conversion to unique). */
  duplicateGroups(): string[][] {
    const groups: string[][] = [];
    let run: IndexEntry[] = [];
    const close = (): void => {
      if (run.length > 1) groups.push(run.map((e) => e.id));
    };
    for (const entry of this.tree.all()) {
      const previous = run[0];
      if (previous && this.fields.every((_f, i) => compareBson(previous.key[i], entry.key[i], this.collation) === 0))
        run.push(entry);
      else {
        close();
        run = [entry];
      }
    }
    close();
    return groups;
  }

  /** Whether any field of the index has met an array (a document may then be listed under several keys). */
  get multikey(): boolean {
    return this.arrayDepths.some((d) => d.size > 0);
  }

  /** Whether index field `i` has met an array. */
  fieldMultikey(i: number): boolean {
    return this.arrayDepths[i].size > 0;
  }

  /** mongod's explain `multiKeyPaths`: per field, the path prefixes that held an array. */
  multiKeyPaths(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    this.fields.forEach((f, i) => {
      const parts = f.split('.');
      out[f] = [...this.arrayDepths[i]].sort((a, b) => a - b).map((d) => parts.slice(0, d).join('.'));
    });
    return out;
  }

  /** The distinct key tuples a document contributes, or [] when the index does not cover it. */
  keysFor(doc: Doc): unknown[][] {
    if (this.partial && !this.partial.test(doc)) return [];
    let arrayFields = 0;
    const perField = this.fields.map((f, i) => {
      const state = { multikey: false, arrayDepths: this.scratch[i] };
      state.arrayDepths.clear();
      const values = pathValues(doc, f, state);
      if (state.multikey) arrayFields++;
      return values;
    });
    if (this.sparse && perField.every((vals) => vals.length === 1 && vals[0] === undefined)) return [];
    if (arrayFields > 1) {
      throw new MongoCommandError(
        ErrorCode.CannotIndexParallelArrays,
        `cannot index parallel arrays [${this.fields.join('] [')}] (index ${this.name})`,
      );
    }
    if (arrayFields > 0) {
      this.scratch.forEach((depths, i) => {
        for (const d of depths) this.arrayDepths[i].add(d);
      });
    }
    if (perField.every((v) => v.length === 1)) return [perField.map((v) => v[0])];
    let tuples: unknown[][] = [[]];
    for (const vals of perField) {
      const next: unknown[][] = [];
      for (const t of tuples) for (const v of vals) next.push([...t, v]);
      tuples = next;
    }
    const seen = new Set<string>();
    return tuples.filter((t) => {
      const k = keyString(t);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  add(keys: unknown[][], id: string): void {
    for (const key of keys) this.tree.insert({ key, id });
  }

  remove(keys: unknown[][], id: string): void {
    for (const key of keys) this.tree.remove({ key, id });
  }

  /** Ids of entries whose key equals `key` exactly (index order). */
  *idsWithKey(key: unknown[]): Generator<string> {
    const n = this.fields.length;
    const before = (e: IndexEntry): boolean => {
      for (let i = 0; i < n; i++) {
        const c = compareBson(e.key[i], key[i], this.collation) * this.dirs[i];
        if (c !== 0) return c < 0;
      }
      return false;
    };
    const inRange = (e: IndexEntry): boolean => {
      for (let i = 0; i < n; i++) if (compareBson(e.key[i], key[i], this.collation) !== 0) return false;
      return true;
    };
    for (const e of this.tree.scan(before, inRange)) yield e.id;
  }

  /** The first id other than `selfId` that already holds one of `keys` in this unique index. */
  conflict(
    keys: unknown[][],
    selfId: string,
    ignore?: (id: string) => boolean,
  ): { id: string; key: unknown[] } | undefined {
    if (!this.rejectsDuplicates) return undefined;
    for (const key of keys) {
      for (const id of this.idsWithKey(key)) {
        if (id !== selfId && !ignore?.(id)) return { id, key };
      }
    }
    return undefined;
  }

  duplicateKeyError(key: unknown[]): MongoCommandError {
    const keyValue: Doc = {};
    this.fields.forEach((f, i) => (keyValue[f] = key[i] === undefined ? null : key[i]));
    const shown = this.fields.map((f, i) => `${f}: ${formatValue(key[i])}`).join(', ');
    return new MongoCommandError(
      ErrorCode.DuplicateKey,
      `E11000 duplicate key error collection: ${this.ns} index: ${this.name} dup key: { ${shown} }`,
      { keyPattern: { ...this.spec.key }, keyValue },
    );
  }
}

function formatValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  const t = (v as { _bsontype?: string })._bsontype;
  if (t === 'ObjectId') return `ObjectId('${(v as { toHexString(): string }).toHexString()}')`;
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      return '{…}';
    }
  }
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : typeof v;
}
