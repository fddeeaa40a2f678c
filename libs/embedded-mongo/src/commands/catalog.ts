import { keyString } from '../bson-order.js';
import { validateCollectionName, validateDbName, type LogOp } from '../catalog.js';
import { collationKey, parseCollation } from '../collation.js';
import type { CollectionIndex, IndexSpec } from '../collection-index.js';
import { compileFilter, type Collection } from '../collection.js';
import type { CommandTable, Engine } from '../engine.js';
import { ErrorCode, MongoCommandError } from '../errors.js';
import { isPlainObject, type Doc } from '../paths.js';

/** Databases, collections and indexes: create, list, modify and drop them. */

export function catalogCommands(engine: Engine): CommandTable {
  return {
    listDatabases: (_db, cmd) => listDatabases(engine, cmd),
    listCollections: (db, cmd) => listCollections(engine, db, cmd),
    create: (db, cmd) => create(engine, db, cmd),
    drop: (db, cmd) => drop(engine, db, cmd),
    dropDatabase: (db) => dropDatabase(engine, db),
    collMod: (db, cmd) => collMod(engine, db, cmd),
    createIndexes: (db, cmd) => createIndexes(engine, db, cmd),
    listIndexes: (db, cmd) => listIndexes(engine, db, cmd),
    dropIndexes: (db, cmd) => dropIndexes(engine, db, cmd),
    deleteIndexes: (db, cmd) => dropIndexes(engine, db, cmd),
    renameCollection: (db, cmd) => renameCollection(engine, db, cmd),
  };
}

/** Creates a collection implicitly (first insert, createIndexes), logging it. */
export function ensureCollection(engine: Engine, db: string, name: string, ops: LogOp[]): Collection {
  const ns = `${validateDbName(db)}.${validateCollectionName(name)}`;
  const existing = engine.catalog.get(ns);
  if (existing) return existing;
  const coll = engine.catalog.create(ns);
  ops.push({ op: 'cc', ns, options: {}, uuid: coll.uuid });
  return coll;
}

function listDatabases(engine: Engine, cmd: Doc): Doc {
  const match = compileFilter(isPlainObject(cmd.filter) ? cmd.filter : undefined);
  const catalog = engine.catalog;
  const databases = [...catalog.dbs.keys()]
    .map((name) => ({ name, sizeOnDisk: 0, empty: catalog.collections(name).every((c) => c.docs.size === 0) }))
    .filter((d) => match(d));
  if (cmd.nameOnly) return { databases: databases.map((d) => ({ name: d.name })), ok: 1 };
  return { databases, totalSize: 0, totalSizeMb: 0, ok: 1 };
}

function listCollections(engine: Engine, db: string, cmd: Doc): Doc {
  const match = compileFilter(isPlainObject(cmd.filter) ? cmd.filter : undefined);
  const infos = engine.catalog
    .collections(db)
    .map((c) => {
      const type = c.isView ? 'view' : 'collection';
      if (cmd.nameOnly) return { name: c.name, type };
      if (c.isView) return { name: c.name, type, options: c.options, info: { readOnly: true } };
      const info: Doc = { name: c.name, type, options: c.options, info: { readOnly: false, uuid: c.uuid } };
      // A clustered collection has no separate _id index (mongod lists none).
      if (c.options.clusteredIndex === undefined) info.idIndex = { v: 2, key: { _id: 1 }, name: '_id_' };
      return info;
    })
    .filter((d) => match(d));
  return engine.cursors.reply(`${db}.$cmd.listCollections`, infos, cmd.cursor);
}

const NOT_OPTIONS = new Set(['lsid', 'txnNumber', 'writeConcern', 'autocommit', 'startTransaction']);

async function create(engine: Engine, db: string, cmd: Doc): Promise<Doc> {
  const name = validateCollectionName(cmd.create);
  validateDbName(db);
  const ns = `${db}.${name}`;
  const txn = engine.sessions.transactionFor(cmd);
  if (engine.catalog.get(ns) || txn?.createdCollection(ns))
    throw new MongoCommandError(ErrorCode.NamespaceExists, `Collection ${ns} already exists.`);
  if (cmd.viewOn !== undefined) {
    if (txn)
      throw new MongoCommandError(
        ErrorCode.OperationNotSupportedInTransaction,
        'Cannot create a view in a multi-document transaction.',
      );
    return createView(engine, db, name, cmd);
  }
  for (const unsupported of ['capped', 'timeseries']) {
    if (cmd[unsupported] !== undefined && cmd[unsupported] !== false)
      throw new MongoCommandError(
        ErrorCode.InvalidOptions,
        `'${unsupported}' collections are not supported by the embedded engine`,
      );
  }
  const options: Doc = {};
  for (const [k, v] of Object.entries(cmd)) {
    if (k !== 'create' && !k.startsWith('$') && !NOT_OPTIONS.has(k)) options[k] = v;
  }
  if (options.clusteredIndex !== undefined) options.clusteredIndex = clusteredIndexSpec(options);
  else if (options.expireAfterSeconds !== undefined)
    throw new MongoCommandError(
      ErrorCode.InvalidOptions,
      "'expireAfterSeconds' can be used only for clustered collections or timeseries collections",
    );
  if (options.changeStreamPreAndPostImages !== undefined) checkPreAndPostImages(options.changeStreamPreAndPostImages);
  // A default collation is stored (and listed) with every field filled in, as mongod does.
  if (options.collation !== undefined) {
    const collation = parseCollation(options.collation);
    if (collation) options.collation = collation.spec;
    else delete options.collation;
  }
  if (txn) {
    // Visible to others only once the transaction commits.
    txn.createCollection(db, name, options);
    return { ok: 1 };
  }
  const coll = engine.catalog.create(ns, options);
  await engine.persist([{ op: 'cc', ns, options, uuid: coll.uuid }]);
  return { ok: 1 };
}

/**
 * A clustered collection's `clusteredIndex` as mongod 7.0 validates and stores it: `{v: 2, key: {_id: 1}, name,
 * unique: true}` (name `_id_` unless given). The engine keeps every collection's documents by _id already, so
 * the option changes only what listCollections and listIndexes show, and lets `expireAfterSeconds` expire
 * documents by a date _id.
 */
function clusteredIndexSpec(options: Doc): Doc {
  const raw = options.clusteredIndex;
  if (typeof raw === 'boolean')
    throw new MongoCommandError(
      5979703,
      "The 'clusteredIndex' legacy format {clusteredIndex: <bool>} is only supported for specific internal collections and vice versa",
    );
  if (!isPlainObject(raw))
    throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'create.clusteredIndex' is the wrong type");
  for (const field of ['key', 'unique'])
    if (raw[field] === undefined)
      throw new MongoCommandError(
        ErrorCode.Location40414,
        `BSON field 'clusteredIndex.${field}' is missing but a required field`,
      );
  if (!isPlainObject(raw.key))
    throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'clusteredIndex.key' is the wrong type");
  if (typeof raw.unique !== 'boolean')
    throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'clusteredIndex.unique' is the wrong type");
  if (raw.name !== undefined && typeof raw.name !== 'string')
    throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'clusteredIndex.name' is the wrong type");
  if (options.idIndex !== undefined)
    throw new MongoCommandError(
      ErrorCode.InvalidOptions,
      "The 'clusteredIndex' option is not supported with the 'idIndex' option",
    );
  if (!raw.unique)
    throw new MongoCommandError(5979700, 'The clusteredIndex option requires unique: true to be specified');
  const keys = Object.entries(raw.key);
  if (keys.length !== 1 || keys[0][0] !== '_id' || Number(keys[0][1]) !== 1)
    throw new MongoCommandError(
      ErrorCode.InvalidIndexSpecificationOption,
      'The clusteredIndex option is only supported for key: {_id: 1}',
    );
  const v = raw.v ?? 2;
  if (v !== 2)
    throw new MongoCommandError(
      5979704,
      `Invalid clusteredIndex specification; cannot create a clusteredIndex with v=${JSON.stringify(v)}`,
    );
  const ttl = options.expireAfterSeconds;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0))
    throw new MongoCommandError(
      ErrorCode.InvalidOptions,
      "TTL index 'expireAfterSeconds' option must be a non-negative number",
    );
  return { v: 2, key: { _id: 1 }, name: raw.name ?? '_id_', unique: true };
}

/** `changeStreamPreAndPostImages: {enabled: <bool>}`, recorded as given (the engine has no change streams). */
function checkPreAndPostImages(raw: unknown): void {
  if (!isPlainObject(raw))
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      "BSON field 'changeStreamPreAndPostImages' is the wrong type, expected type 'object'",
    );
  if (raw.enabled === undefined)
    throw new MongoCommandError(
      ErrorCode.Location40414,
      "BSON field 'changeStreamPreAndPostImages.enabled' is missing but a required field",
    );
  if (typeof raw.enabled !== 'boolean')
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      "BSON field 'changeStreamPreAndPostImages.enabled' is the wrong type, expected type 'bool'",
    );
}

/** The index specs listIndexes shows: a clustered collection's _id index is its clustered index. */
function listedIndexSpecs(coll: Collection): Doc[] {
  const clustered = coll.options.clusteredIndex;
  return coll.indexes.map((i) =>
    i.name === '_id_' && isPlainObject(clustered) ? { ...clustered, clustered: true } : { ...i.spec },
  );
}

/** A view: a collection entry without documents whose options name its source and pipeline. */
async function createView(engine: Engine, db: string, name: string, cmd: Doc): Promise<Doc> {
  if (typeof cmd.viewOn !== 'string' || cmd.viewOn.length === 0)
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      "BSON field 'create.viewOn' is the wrong type, expected type 'string'",
    );
  const pipeline = cmd.pipeline ?? [];
  if (!Array.isArray(pipeline) || !pipeline.every(isPlainObject))
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      "BSON field 'create.pipeline' is the wrong type, expected type 'array'",
    );
  for (const stage of pipeline) {
    const stageName = Object.keys(stage)[0];
    if (stageName === '$out' || stageName === '$merge')
      throw new MongoCommandError(
        ErrorCode.OptionNotSupportedOnView,
        `${stageName} cannot be used in a view definition`,
      );
  }
  const ns = `${db}.${name}`;
  const options: Doc = { viewOn: cmd.viewOn, pipeline };
  if (cmd.collation !== undefined) {
    const collation = parseCollation(cmd.collation);
    if (collation) options.collation = collation.spec;
  }
  const view = engine.catalog.create(ns, options);
  await engine.persist([{ op: 'cc', ns, options, uuid: view.uuid }]);
  return { ok: 1 };
}

async function drop(engine: Engine, db: string, cmd: Doc): Promise<Doc> {
  const ns = `${db}.${validateCollectionName(cmd.drop)}`;
  const coll = engine.catalog.get(ns);
  // MongoDB 7.0 treats dropping a missing collection as success.
  if (!coll) return { ok: 1 };
  engine.catalog.drop(ns);
  engine.cursors.closeWhere((cursorNs) => cursorNs === ns);
  await engine.persist([{ op: 'dc', ns }]);
  return { nIndexesWas: coll.indexes.length, ns, ok: 1 };
}

/** A full namespace (`db.collection`) of the renameCollection command, checked as mongod checks it. */
function fullNamespace(value: unknown, field: string): string {
  if (typeof value !== 'string')
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      `BSON field 'renameCollection.${field}' is the wrong type, expected type 'string'`,
    );
  const dot = value.indexOf('.');
  if (dot <= 0 || dot === value.length - 1)
    throw new MongoCommandError(ErrorCode.InvalidNamespace, `Invalid ${field} namespace: ${value}`);
  validateDbName(value.slice(0, dot));
  validateCollectionName(value.slice(dot + 1));
  return value;
}

async function renameCollection(engine: Engine, db: string, cmd: Doc): Promise<Doc> {
  if (db !== 'admin')
    throw new MongoCommandError(ErrorCode.Unauthorized, 'renameCollection may only be run against the admin database.');
  const from = fullNamespace(cmd.renameCollection, 'renameCollection');
  const to = fullNamespace(cmd.to, 'to');
  const source = engine.catalog.get(from);
  if (!source) throw new MongoCommandError(ErrorCode.NamespaceNotFound, `Source collection ${from} does not exist`);
  if (source.isView) throw new MongoCommandError(ErrorCode.CommandNotSupportedOnView, `cannot rename view: ${from}`);
  if (from === to) throw new MongoCommandError(ErrorCode.IllegalOperation, "Can't rename a collection to itself");
  const target = engine.catalog.get(to);
  if (target && cmd.dropTarget !== true)
    throw new MongoCommandError(ErrorCode.NamespaceExists, 'target namespace exists');
  if (target?.isView)
    throw new MongoCommandError(ErrorCode.NamespaceExists, `a view already exists with that name: ${to}`);
  engine.catalog.rename(from, to);
  // Cursors of either collection end, as mongod kills them (a getMore then answers CursorNotFound).
  engine.cursors.closeWhere((ns) => ns === from || ns === to);
  await engine.persist([{ op: 'rc', from, to }]);
  return { ok: 1 };
}

async function dropDatabase(engine: Engine, db: string): Promise<Doc> {
  if (engine.catalog.dbs.has(db)) {
    engine.catalog.dropDatabase(db);
    await engine.persist([{ op: 'dd', db }]);
  }
  return { dropped: db, ok: 1 };
}

async function collMod(engine: Engine, db: string, cmd: Doc): Promise<Doc> {
  const ns = `${db}.${validateCollectionName(cmd.collMod)}`;
  const coll = engine.catalog.get(ns);
  if (!coll) throw new MongoCommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${ns}`);
  const reply: Doc = { ok: 1 };
  // TTL changes are honoured; other options are accepted and recorded.
  if (isPlainObject(cmd.index)) {
    const spec = cmd.index;
    const index =
      typeof spec.name === 'string'
        ? coll.getIndex(spec.name)
        : coll.indexes.find((i) => keyString(i.spec.key) === keyString(spec.keyPattern));
    if (!index) throw new MongoCommandError(ErrorCode.IndexNotFound, 'cannot find index for collMod');
    const changes = indexChanges(coll, index, spec);
    if (typeof spec.expireAfterSeconds === 'number') {
      changes.expireAfterSeconds_old = index.spec.expireAfterSeconds;
      changes.expireAfterSeconds_new = spec.expireAfterSeconds;
    }
    if (Object.keys(changes).length === 0) return reply;
    if (typeof spec.expireAfterSeconds === 'number') index.spec.expireAfterSeconds = spec.expireAfterSeconds;
    if (changes.prepareUnique_new !== undefined) index.spec.prepareUnique = changes.prepareUnique_new;
    if (changes.unique_new === true) {
      index.spec.unique = true;
      delete index.spec.prepareUnique;
    }
    coll.version++;
    await engine.persist([
      { op: 'di', ns, name: index.name },
      { op: 'ci', ns, spec: index.spec },
    ]);
    return { ...changes, ...reply };
  }
  const options = { ...coll.options };
  for (const [k, v] of Object.entries(cmd))
    if (k !== 'collMod' && !k.startsWith('$') && k !== 'lsid' && k !== 'writeConcern') options[k] = v;
  // A clustered collection's TTL is turned off with "off".
  if (options.expireAfterSeconds === 'off') delete options.expireAfterSeconds;
  coll.options = options;
  await engine.persist([{ op: 'cm', ns, options }]);
  return reply;
}

/**
 * What collMod's `index` changes besides its TTL, as mongod 7.0 reports them: `prepareUnique` (new keys may then
 * not repeat existing ones) and `unique: true`, which needs prepareUnique and fails with 359
 * CannotConvertIndexToUnique, listing the documents sharing each key (`violations: [{ids}]`), while any remain.
 */
function indexChanges(coll: Collection, index: CollectionIndex, spec: Doc): Doc {
  const changes: Doc = {};
  if (spec.prepareUnique !== undefined) {
    if (typeof spec.prepareUnique !== 'boolean')
      throw new MongoCommandError(
        ErrorCode.TypeMismatch,
        "BSON field 'index.prepareUnique' is the wrong type, expected type 'bool'",
      );
    const old = index.spec.prepareUnique === true;
    if (old !== spec.prepareUnique && !index.unique) {
      changes.prepareUnique_old = old;
      changes.prepareUnique_new = spec.prepareUnique;
    }
  }
  if (spec.unique !== undefined) {
    if (spec.unique !== true)
      throw new MongoCommandError(ErrorCode.BadValue, "collMod can only convert an index to 'unique: true'");
    if (index.unique) return changes;
    if (index.spec.prepareUnique !== true && changes.prepareUnique_new !== true)
      throw new MongoCommandError(
        ErrorCode.InvalidOptions,
        "Cannot make index unique with 'prepareUnique' not set to true; set prepareUnique first",
      );
    const groups = index.duplicateGroups();
    if (groups.length > 0)
      throw new MongoCommandError(
        ErrorCode.CannotConvertIndexToUnique,
        'Cannot convert the index to unique. Please resolve conflicting documents before running collMod again.',
        { violations: groups.map((ids) => ({ ids: ids.map((id) => coll.docs.get(id)?._id) })) },
      );
    changes.unique_new = true;
  }
  return changes;
}

async function createIndexes(engine: Engine, db: string, cmd: Doc): Promise<Doc> {
  const name = validateCollectionName(cmd.createIndexes);
  if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) {
    throw new MongoCommandError(ErrorCode.BadValue, 'Must specify at least one index to create');
  }
  const ops: LogOp[] = [];
  const ns = `${validateDbName(db)}.${name}`;
  const txn = engine.sessions.transactionFor(cmd);
  if (txn) {
    // MongoDB builds indexes in a transaction only on a collection that does not exist outside it yet.
    if (engine.catalog.get(ns))
      throw new MongoCommandError(
        ErrorCode.OperationNotSupportedInTransaction,
        `Cannot create new indexes on existing collection ${ns} in a multi-document transaction.`,
      );
  }
  const pending = txn?.createdCollection(ns);
  const existed = engine.catalog.get(ns) !== undefined || pending !== undefined;
  const coll = pending ?? (txn ? txn.createCollection(db, name) : ensureCollection(engine, db, name, ops));
  if (coll.isView) throw viewNotCollection(ns);
  const before = coll.indexes.length;
  const created: string[] = [];
  try {
    for (const raw of cmd.indexes as unknown[]) {
      const spec = indexSpecOf(raw);
      // An index without a collation takes the collection's default one.
      const collation = parseCollation(spec.collation ?? coll.defaultCollation);
      if (collation) spec.collation = collation.spec;
      else delete spec.collation;
      const sameName = coll.getIndex(spec.name);
      const sameKey = coll.indexes.find(
        (i) => keyString(i.spec.key) === keyString(spec.key) && collationKey(i.collation) === collationKey(collation),
      );
      if (sameName) {
        if (keyString(sameName.spec.key) !== keyString(spec.key)) {
          throw new MongoCommandError(
            ErrorCode.IndexKeySpecsConflict,
            `An existing index has the same name as the requested index. Requested index: ${spec.name}`,
          );
        }
        if (spec.name !== '_id_' && indexOptionsKey(sameName.spec) !== indexOptionsKey(spec)) {
          throw new MongoCommandError(
            ErrorCode.IndexOptionsConflict,
            `An equivalent index already exists with different options: ${spec.name}`,
          );
        }
        continue;
      }
      if (sameKey && !spec.partialFilterExpression && !sameKey.spec.partialFilterExpression) {
        throw new MongoCommandError(
          ErrorCode.IndexOptionsConflict,
          `Index already exists with a different name: ${sameKey.name}`,
        );
      }
      coll.createIndex(spec);
      created.push(spec.name);
      ops.push({ op: 'ci', ns: coll.ns, spec });
    }
  } catch (err) {
    // createIndexes is all-or-nothing.
    for (const n of created) coll.dropIndex(n);
    if (!existed && !txn) engine.catalog.drop(coll.ns);
    throw err;
  }
  // Inside a transaction the commit logs the collection and its indexes.
  if (!txn) await engine.persist(ops);
  const reply: Doc = {
    numIndexesBefore: before,
    numIndexesAfter: coll.indexes.length,
    createdCollectionAutomatically: !existed,
    ok: 1,
  };
  if (created.length === 0) reply.note = 'all indexes already exist';
  return reply;
}

export function viewNotCollection(ns: string): MongoCommandError {
  return new MongoCommandError(ErrorCode.CommandNotSupportedOnView, `Namespace ${ns} is a view, not a collection`);
}

function indexSpecOf(raw: unknown): IndexSpec {
  if (!isPlainObject(raw) || !isPlainObject(raw.key) || Object.keys(raw.key).length === 0) {
    throw new MongoCommandError(ErrorCode.BadValue, 'Index specification must have a non-empty key object');
  }
  for (const [f, v] of Object.entries(raw.key)) {
    // Text, geo, hashed and wildcard indexes would silently become ordinary ones: refused instead.
    if (typeof v === 'string' || f.includes('$**'))
      throw new MongoCommandError(
        ErrorCode.CannotCreateIndex,
        `Index type ${JSON.stringify(v)} on field '${f}' is not supported by the embedded engine`,
      );
    if (typeof v === 'number' ? v === 0 || !Number.isFinite(v) : true) {
      throw new MongoCommandError(
        ErrorCode.BadValue,
        `Values in the index key pattern must be numbers or strings (field ${f})`,
      );
    }
  }
  const { key, name: rawName, v: _v, ...indexOptions } = raw;
  return { v: 2, key, name: typeof rawName === 'string' ? rawName : defaultIndexName(key), ...indexOptions };
}

function listIndexes(engine: Engine, db: string, cmd: Doc): Doc {
  const ns = `${db}.${validateCollectionName(cmd.listIndexes)}`;
  const coll = engine.catalog.get(ns);
  if (!coll) throw new MongoCommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${ns}`);
  if (coll.isView) throw viewNotCollection(ns);
  return engine.cursors.reply(ns, listedIndexSpecs(coll), cmd.cursor);
}

async function dropIndexes(engine: Engine, db: string, cmd: Doc): Promise<Doc> {
  const field = 'dropIndexes' in cmd ? 'dropIndexes' : 'deleteIndexes';
  const ns = `${db}.${validateCollectionName(cmd[field])}`;
  const coll = engine.catalog.get(ns);
  if (!coll) throw new MongoCommandError(ErrorCode.NamespaceNotFound, `ns not found ${ns}`);
  const before = coll.indexes.length;
  const spec = cmd.index;
  let names: string[];
  if (spec === '*') names = coll.indexes.slice(1).map((i) => i.name);
  else if (typeof spec === 'string') names = [spec];
  else if (Array.isArray(spec)) names = spec.map(String);
  else if (isPlainObject(spec)) {
    const hit = coll.indexes.find((i) => keyString(i.spec.key) === keyString(spec));
    if (!hit)
      throw new MongoCommandError(ErrorCode.IndexNotFound, `can't find index with key: ${JSON.stringify(spec)}`);
    names = [hit.name];
  } else throw new MongoCommandError(ErrorCode.BadValue, 'dropIndexes requires an index name, key pattern, or "*"');
  for (const n of names) {
    if (n === '_id_') throw new MongoCommandError(ErrorCode.InvalidOptions, 'cannot drop _id index');
    if (!coll.getIndex(n)) throw new MongoCommandError(ErrorCode.IndexNotFound, `index not found with name [${n}]`);
  }
  for (const n of names) coll.dropIndex(n);
  await engine.persist(names.map((name) => ({ op: 'di' as const, ns, name })));
  return { nIndexesWas: before, ok: 1 };
}

/** The options that make two indexes with one key pattern different (ignoring cosmetic ones). */
function indexOptionsKey(spec: IndexSpec): string {
  return keyString({
    unique: spec.unique === true,
    sparse: spec.sparse === true,
    partialFilterExpression: spec.partialFilterExpression ?? null,
    expireAfterSeconds: spec.expireAfterSeconds ?? null,
    collation: spec.collation ?? null,
  });
}

export function defaultIndexName(key: Doc): string {
  return Object.entries(key)
    .map(([f, v]) => `${f}_${String(v)}`)
    .join('_');
}
