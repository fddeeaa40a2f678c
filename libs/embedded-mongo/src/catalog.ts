import { Binary, UUID } from 'bson';
import type { IndexSpec } from './collection-index.js';
import { Collection, idKeyOf } from './collection.js';
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
export class Catalog {
  readonly dbs = new Map<string, Map<string, Collection>>();

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
    colls.set(name, coll);
    return coll;
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
