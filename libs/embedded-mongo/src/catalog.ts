import { Binary, UUID } from 'bson';
import type { IndexSpec } from './collection-index.js';
import { Collection, idKeyOf, type QueryCounters } from './collection.js';
import { ErrorCode, MongoCommandError } from './errors.js';
import type { Doc } from './paths.js';

/** A change to the catalog or to a document, as written to the durable log and replayed on open. */
export type LogOp =
  | { op: 'i'; ns: string; doc: Doc }
  | { op: 'u'; ns: string; doc: Doc }
  | { op: 'd'; ns: string; id: unknown }
  | { op: 'cc'; ns: string; options: Doc; uuid?: unknown }
  | { op: 'dc'; ns: string }
  | { op: 'ci'; ns: string; spec: IndexSpec }
  | { op: 'di'; ns: string; name: string }
  | { op: 'dd'; db: string }
  | { op: 'cm'; ns: string; options: Doc }
  | { op: 'rc'; from: string; to: string }
  | { op: 'txn'; ops: LogOp[] };

export function splitNs(ns: string): [string, string] {
  const dot = ns.indexOf('.');
  return [ns.slice(0, dot), ns.slice(dot + 1)];
}

export function validateCollectionName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new MongoCommandError(ErrorCode.InvalidNamespace, 'collection name must be a non-empty string');
  }
  if (name.includes('\0') || name.startsWith('$') || name.startsWith('.') || name.includes('$')) {
    throw new MongoCommandError(ErrorCode.InvalidNamespace, `Invalid collection name: ${name}`);
  }
  return name;
}

export function validateDbName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || /[/\\. "$*<>:|?\0]/.test(name)) {
    throw new MongoCommandError(ErrorCode.InvalidNamespace, `Invalid database name: ${String(name)}`);
  }
  return name;
}

/** All databases and collections. Every mutation is expressed as a LogOp so replay and live writes share code. */
interface HistoryEntry {
  seq: number;
  id: string;
  before: Doc | undefined;
}

export class Catalog {
  readonly dbs = new Map<string, Map<string, Collection>>();
  /** Sequence number of the latest document change anywhere. */
  seq = 0;
  /** Query work over all collections, for serverStatus (`metrics.queryExecutor`). */
  readonly counters: QueryCounters = { docsExamined: 0, keysExamined: 0 };
  /** Snapshot sequence numbers of open transactions; history is kept only while one needs it. */
  private readonly snapshots = new Map<object, number>();
  private readonly history = new Map<Collection, HistoryEntry[]>();

  private readonly recordChange = (coll: Collection, id: string, before: Doc | undefined): void => {
    this.seq++;
    if (this.snapshots.size === 0) return;
    let list = this.history.get(coll);
    if (!list) {
      list = [];
      this.history.set(coll, list);
    }
    list.push({ seq: this.seq, id, before });
  };

  /** Pins the current state for `owner` (a transaction) until release(); returns the snapshot point. */
  openSnapshot(owner: object): number {
    this.snapshots.set(owner, this.seq);
    return this.seq;
  }

  releaseSnapshot(owner: object): void {
    if (!this.snapshots.delete(owner)) return;
    if (this.snapshots.size === 0) {
      this.history.clear();
      return;
    }
    const oldest = Math.min(...this.snapshots.values());
    for (const [coll, list] of this.history) {
      const keep = list.filter((e) => e.seq > oldest);
      if (keep.length) this.history.set(coll, keep);
      else this.history.delete(coll);
    }
  }

  /** Whether document `id` of `coll` changed after `seq`. */
  changedAfter(coll: Collection, id: string, seq: number): boolean {
    const list = this.history.get(coll);
    if (!list) return false;
    for (let i = list.length - 1; i >= 0 && list[i].seq > seq; i--) if (list[i].id === id) return true;
    return false;
  }

  /**
   * Documents of `coll` that changed after `seq`, mapped to their version at `seq` (undefined = did not exist).
   * Empty when nothing changed.
   */
  changedSince(coll: Collection, seq: number): Map<string, Doc | undefined> {
    const out = new Map<string, Doc | undefined>();
    const list = this.history.get(coll);
    if (!list) return out;
    for (const e of list) if (e.seq > seq && !out.has(e.id)) out.set(e.id, e.before);
    return out;
  }

  get(ns: string): Collection | undefined {
    const [db, coll] = splitNs(ns);
    return this.dbs.get(db)?.get(coll);
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  all(): Collection[] {
    return [...this.dbs.values()].flatMap((m) => [...m.values()]);
  }

  create(ns: string, options: Doc = {}, uuid?: UUID): Collection {
    const [db, name] = splitNs(ns);
    let colls = this.dbs.get(db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(db, colls);
    }
    const coll = new Collection(db, name, options, uuid);
    coll.onChange = this.recordChange;
    coll.counters = this.counters;
    colls.set(name, coll);
    return coll;
  }

  /** Adds a collection built elsewhere (by a transaction, at commit). */
  register(coll: Collection): void {
    let colls = this.dbs.get(coll.db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(coll.db, colls);
    }
    coll.onChange = this.recordChange;
    coll.counters = this.counters;
    colls.set(coll.name, coll);
  }

  drop(ns: string): boolean {
    const [db, name] = splitNs(ns);
    const colls = this.dbs.get(db);
    const had = colls?.delete(name) ?? false;
    if (colls && colls.size === 0) this.dbs.delete(db);
    return had;
  }

  dropDatabase(db: string): void {
    this.dbs.delete(db);
  }

  /**
   * Moves collection `from` (documents, indexes, options) to `to`, replacing what `to` held. Within a database
   * the collection keeps its UUID, as mongod's does; across databases it gets a new one (mongod copies it).
   */
  rename(from: string, to: string): Collection | undefined {
    const source = this.get(from);
    if (!source) return undefined;
    const [db] = splitNs(to);
    const [, name] = splitNs(to);
    const moved = new Collection(db, name, source.options, db === source.db ? source.uuid : undefined);
    for (const index of source.indexes.slice(1)) moved.createIndex(index.spec);
    for (const doc of source.docs.values()) moved.insert(doc);
    this.drop(from);
    this.drop(to);
    this.register(moved);
    return moved;
  }

  /** Applies a logged operation during replay; tolerant of operations already reflected (idempotent). */
  replay(op: LogOp): void {
    switch (op.op) {
      case 'i':
      case 'u': {
        const coll = this.get(op.ns) ?? this.create(op.ns);
        const existing = coll.docs.get(idKeyOf(op.doc));
        if (existing) coll.replace(existing, op.doc);
        else coll.insert(op.doc);
        break;
      }
      case 'd': {
        const coll = this.get(op.ns);
        const existing = coll?.docs.get(idKeyOf({ _id: op.id }));
        if (coll && existing) coll.remove(existing);
        break;
      }
      case 'cc':
        if (!this.get(op.ns)) this.create(op.ns, op.options, toUuid(op.uuid));
        break;
      case 'dc':
        this.drop(op.ns);
        break;
      case 'ci': {
        const coll = this.get(op.ns) ?? this.create(op.ns);
        if (!coll.getIndex(op.spec.name)) coll.createIndex(op.spec);
        break;
      }
      case 'di':
        this.get(op.ns)?.dropIndex(op.name);
        break;
      case 'dd':
        this.dropDatabase(op.db);
        break;
      case 'cm': {
        const coll = this.get(op.ns);
        if (coll) coll.options = op.options;
        break;
      }
      case 'rc':
        this.rename(op.from, op.to);
        break;
      case 'txn':
        for (const sub of op.ops) this.replay(sub);
        break;
    }
  }
}

function toUuid(v: unknown): UUID | undefined {
  if (v instanceof UUID) return v;
  if (v instanceof Binary && v.sub_type === Binary.SUBTYPE_UUID) return new UUID(v.buffer.subarray(0, v.position));
  return undefined;
}
