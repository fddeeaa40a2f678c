import type { Catalog, LogOp } from './catalog.js';
import { Collection, compileFilter, idKeyOf, sortDocs, type FindOptions } from './collection.js';
import { ErrorCode, MongoCommandError, writeConflict } from './errors.js';
import type { Doc } from './paths.js';

/**
 * Data access for one command: either straight to the collections (recording log operations), or through a
 * transaction's private overlay, which only reaches the collections on commit.
 */
export interface Access {
  find(coll: Collection, filter: Doc, opts?: FindOptions): Doc[];
  insert(coll: Collection, doc: Doc): void;
  replace(coll: Collection, oldDoc: Doc, newDoc: Doc): void;
  remove(coll: Collection, doc: Doc): void;
}

/**
 * Thrown when a plain write's first change hits a document an open transaction has written: like mongod, the
 * write waits for that transaction to finish and then runs again.
 */
export class BlockedByTransaction extends Error {
  constructor(readonly transaction: Transaction) {
    super('write blocked by an open transaction');
  }
}

export class DirectAccess implements Access {
  readonly ops: LogOp[] = [];

  constructor(private readonly claims?: Map<string, Transaction>) {}

  find(coll: Collection, filter: Doc, opts?: FindOptions): Doc[] {
    return coll.find(filter, opts);
  }

  /**
   * Only a command's first change may wait: once something is applied, the command cannot be re-run, so later
   * changes go ahead and the transaction fails at commit with WriteConflict instead.
   */
  private waitIfClaimed(coll: Collection, id: string): void {
    if (!this.claims || this.ops.length > 0) return;
    const holder = this.claims.get(`${coll.ns}\0${id}`);
    if (holder && holder.state === 'active') throw new BlockedByTransaction(holder);
  }

  insert(coll: Collection, doc: Doc): void {
    this.waitIfClaimed(coll, idKeyOf(doc));
    coll.insert(doc);
    this.ops.push({ op: 'i', ns: coll.ns, doc });
  }

  replace(coll: Collection, oldDoc: Doc, newDoc: Doc): void {
    this.waitIfClaimed(coll, idKeyOf(oldDoc));
    coll.replace(oldDoc, newDoc);
    this.ops.push({ op: 'u', ns: coll.ns, doc: newDoc });
  }

  remove(coll: Collection, doc: Doc): void {
    this.waitIfClaimed(coll, idKeyOf(doc));
    coll.remove(doc);
    this.ops.push({ op: 'd', ns: coll.ns, id: doc._id });
  }
}

interface OverlayEntry {
  /** The committed document when the transaction first wrote this id (identity = version). */
  base: Doc | undefined;
  /** The transaction's version; null = deleted. */
  current: Doc | null;
}

export type TxnState = 'active' | 'committed' | 'aborted';

/**
 * A multi-document transaction. Writes go to an overlay keyed by namespace and _id; the first writer of a
 * document claims it, and a second transaction writing the same document gets WriteConflict (112) with the
 * TransientTransactionError label. Commit re-validates that no committed write touched the claimed documents
 * since, then applies everything at once (undoing on failure) and logs one atomic record.
 */
export class Transaction implements Access {
  state: TxnState = 'active';
  readonly overlay = new Map<string, Map<string, OverlayEntry>>();
  readonly startedAt = Date.now();
  lastUsed = Date.now();
  private readonly claimed = new Set<string>();
  private readonly created = new Map<string, Collection>();

  /** The point in the catalog's change sequence this transaction reads at. */
  readonly snapshot: number;
  private endSignal: () => void = () => undefined;
  /** Resolves when the transaction commits or aborts. */
  readonly ended = new Promise<void>((resolve) => (this.endSignal = resolve));

  constructor(
    readonly sessionKey: string,
    readonly txnNumber: number,
    private readonly claims: Map<string, Transaction>,
    private readonly catalog: Catalog,
  ) {
    this.snapshot = catalog.openSnapshot(this);
  }

  private entries(coll: Collection): Map<string, OverlayEntry> {
    let m = this.overlay.get(coll.ns);
    if (!m) {
      m = new Map();
      this.overlay.set(coll.ns, m);
    }
    return m;
  }

  /** Reads the snapshot (committed state when the transaction began) with this transaction's writes on top. */
  find(coll: Collection, filter: Doc, opts: FindOptions = {}): Doc[] {
    return findAtSnapshot(this.catalog, coll, this.snapshot, filter, opts, this.overlay.get(coll.ns));
  }

  /** A collection this transaction created (explicitly or by a first insert); others see it from commit on. */
  createdCollection(ns: string): Collection | undefined {
    return this.created.get(ns);
  }

  createCollection(db: string, name: string, options: Doc = {}): Collection {
    const coll = new Collection(db, name, options);
    this.created.set(coll.ns, coll);
    return coll;
  }

  private claim(coll: Collection, id: string): OverlayEntry {
    const key = `${coll.ns}\0${id}`;
    const holder = this.claims.get(key);
    if (holder && holder !== this && holder.state === 'active') {
      this.abort();
      throw writeConflict();
    }
    // Snapshot isolation: writing a document someone else changed after our snapshot is a conflict.
    if (!this.overlay.get(coll.ns)?.has(id) && this.catalog.changedAfter(coll, id, this.snapshot)) {
      this.abort();
      throw writeConflict();
    }
    this.claims.set(key, this);
    this.claimed.add(key);
    const m = this.entries(coll);
    let e = m.get(id);
    if (!e) {
      e = { base: coll.docs.get(id), current: coll.docs.get(id) ?? null };
      m.set(id, e);
    }
    return e;
  }

  /** Unique-index check against committed data (minus what this transaction changed) and the overlay. */
  private checkUnique(coll: Collection, doc: Doc, id: string): void {
    const overlay = this.overlay.get(coll.ns);
    coll.checkUnique(doc, id, (other) => overlay?.has(other) ?? false);
    if (!overlay) return;
    for (const index of coll.indexes) {
      if (!index.rejectsDuplicates) continue;
      const keys = index.keysFor(doc);
      if (keys.length === 0) continue;
      for (const [otherId, e] of overlay) {
        if (otherId === id || !e.current) continue;
        for (const k of index.keysFor(e.current)) {
          if (keys.some((mine) => sameKey(mine, k))) throw index.duplicateKeyError(k);
        }
      }
    }
  }

  insert(coll: Collection, doc: Doc): void {
    const id = idKeyOf(doc);
    const existing = this.overlay.get(coll.ns)?.get(id);
    if ((existing && existing.current) || (!existing && coll.docs.has(id)))
      throw coll.indexes[0].duplicateKeyError([doc._id]);
    this.checkUnique(coll, doc, id);
    this.claim(coll, id).current = doc;
  }

  replace(coll: Collection, oldDoc: Doc, newDoc: Doc): void {
    const id = idKeyOf(oldDoc);
    if (idKeyOf(newDoc) !== id) {
      throw new MongoCommandError(
        ErrorCode.ImmutableField,
        "Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }
    this.checkUnique(coll, newDoc, id);
    this.claim(coll, id).current = newDoc;
  }

  remove(coll: Collection, doc: Doc): void {
    this.claim(coll, idKeyOf(doc)).current = null;
  }

  /** Applies the overlay to the catalog atomically; returns the log record, or throws WriteConflict. */
  commit(catalog: Catalog): LogOp | undefined {
    const ops: LogOp[] = [];
    const undo: (() => void)[] = [];
    try {
      // Collections (and their indexes) created inside the transaction appear now, unless someone else made one.
      for (const [ns, coll] of this.created) {
        if (catalog.get(ns)) throw writeConflict();
        catalog.register(coll);
        undo.push(() => catalog.drop(ns));
        ops.push({ op: 'cc', ns, options: coll.options, uuid: coll.uuid });
        for (const index of coll.indexes.slice(1)) ops.push({ op: 'ci', ns, spec: index.spec });
      }
      for (const [ns, entries] of this.overlay) {
        const coll = catalog.get(ns);
        for (const [id, e] of entries) {
          const committed = coll?.docs.get(id);
          if (committed !== e.base) throw writeConflict();
        }
      }
      for (const [ns, entries] of this.overlay) {
        const coll = catalog.get(ns);
        if (!coll) {
          if ([...entries.values()].some((e) => e.current)) throw writeConflict();
          continue;
        }
        for (const [id, e] of entries) {
          const committed = coll.docs.get(id);
          if (e.current === null) {
            if (committed) {
              coll.remove(committed);
              undo.push(() => coll.insert(committed));
              ops.push({ op: 'd', ns, id: committed._id });
            }
          } else if (committed) {
            if (committed !== e.current) {
              const next = e.current;
              coll.replace(committed, next);
              undo.push(() => coll.replace(next, committed));
              ops.push({ op: 'u', ns, doc: next });
            }
          } else {
            const next = e.current;
            coll.insert(next);
            undo.push(() => coll.remove(next));
            ops.push({ op: 'i', ns, doc: next });
          }
        }
      }
    } catch (err) {
      for (const u of undo.reverse()) u();
      this.abort();
      if (err instanceof MongoCommandError && err.code === ErrorCode.DuplicateKey) throw writeConflict();
      throw err;
    }
    this.release();
    this.state = 'committed';
    return ops.length > 0 ? { op: 'txn', ops } : undefined;
  }

  abort(): void {
    if (this.state === 'active') this.state = 'aborted';
    this.overlay.clear();
    this.created.clear();
    this.release();
  }

  private release(): void {
    this.endSignal();
    this.catalog.releaseSnapshot(this);
    for (const key of this.claimed) if (this.claims.get(key) === this) this.claims.delete(key);
    this.claimed.clear();
  }
}

/**
 * Documents of `coll` matching `filter` as they were at catalog sequence `seq` (plus a transaction's own writes,
 * `overlay`): current documents unchanged since, and the earlier versions of those changed since.
 */
export function findAtSnapshot(
  catalog: Catalog,
  coll: Collection,
  seq: number,
  filter: Doc,
  opts: FindOptions,
  overlay?: Map<string, OverlayEntry>,
): Doc[] {
  const changed = catalog.changedSince(coll, seq);
  if ((!overlay || overlay.size === 0) && changed.size === 0) return coll.find(filter, opts);
  const match = compileFilter(filter, opts);
  const out: Doc[] = [];
  for (const doc of coll.find(filter, { collation: opts.collation, variables: opts.variables })) {
    const id = idKeyOf(doc);
    if (!overlay?.has(id) && !changed.has(id)) out.push(doc);
  }
  for (const [id, before] of changed) if (before && !overlay?.has(id) && match(before)) out.push(before);
  if (overlay) for (const e of overlay.values()) if (e.current && match(e.current)) out.push(e.current);
  const sorted = opts.sort ? sortDocs(out, opts.sort, opts.collation) : out;
  const skip = opts.skip ?? 0;
  const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
  return sorted.slice(skip, limit === undefined ? undefined : skip + limit);
}

/**
 * Reads of a snapshot session outside transactions (readConcern "snapshot"): every read of the session sees
 * the catalog as it was at one cluster time. Read-only.
 */
export class SnapshotRead implements Access {
  constructor(
    private readonly catalog: Catalog,
    readonly seq: number,
  ) {}

  find(coll: Collection, filter: Doc, opts: FindOptions = {}): Doc[] {
    return findAtSnapshot(this.catalog, coll, this.seq, filter, opts);
  }

  insert(): void {
    throw readOnlySnapshot();
  }

  replace(): void {
    throw readOnlySnapshot();
  }

  remove(): void {
    throw readOnlySnapshot();
  }
}

function readOnlySnapshot(): MongoCommandError {
  return new MongoCommandError(ErrorCode.InvalidOptions, 'snapshot reads cannot write');
}

function sameKey(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((v, i) => compareKeyPart(v, b[i]));
}

function compareKeyPart(a: unknown, b: unknown): boolean {
  return idKeyOf({ _id: a }) === idKeyOf({ _id: b });
}
