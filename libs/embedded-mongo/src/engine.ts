import { BSON, Long, ObjectId, Timestamp } from 'bson';
import { runPipeline } from './aggregate.js';
import { BracketBound, keyString, Rank } from './bson-order.js';
import { scanInterval } from './planner.js';
import { Catalog, splitNs, validateCollectionName, validateDbName, type LogOp } from './catalog.js';
import type { IndexSpec } from './collection-index.js';
import { Collection, compileFilter, parseSort } from './collection.js';
import { asCommandError, ErrorCode, MongoCommandError } from './errors.js';
import { isPlainObject, pathValues, type Doc } from './paths.js';
import { BlockedByTransaction, DirectAccess, Transaction, type Access } from './transactions.js';
import { deleteCommand, findAndModifyCommand, insertCommand, projectDocs, updateCommand } from './write-commands.js';
import type { Logger } from './server.js';
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE_BYTES } from './wire.js';

/** Where committed operations go: nowhere (memory) or a durable log. Resolves once the data is safe. */
export interface Persistence {
  append(ops: LogOp[]): Promise<void>;
}

export interface EngineOptions {
  host: string;
  port: number;
  replSetName: string;
  persistence?: Persistence;
  ttlMonitorIntervalMs?: number;
  cursorTimeoutMs?: number;
  transactionLifetimeMs?: number;
  logger?: Logger;
}

export interface ConnectionInfo {
  id: number;
  remote: string;
  /** Resolves when the connection or server closes, to end an awaitable hello early. */
  closed: Promise<void>;
}

interface CursorState {
  id: number;
  ns: string;
  docs: Doc[];
  pos: number;
  lastUsed: number;
  sessionKey?: string;
}

const DEFAULT_BATCH = 101;
const BATCH_BYTES = MAX_BSON_OBJECT_SIZE;
const CURSOR_TIMEOUT_MS = 10 * 60 * 1000;

type Handler = (db: string, cmd: Doc, conn: ConnectionInfo) => Doc | Promise<Doc>;

/** The command layer: parses commands, runs them against the catalog, and shapes replies like mongod 7.0. */
export class Engine {
  readonly catalog = new Catalog();
  private readonly cursors = new Map<number, CursorState>();
  private readonly txns = new Map<string, Transaction>();
  private readonly claims = new Map<string, Transaction>();
  private readonly lastRetryable = new Map<string, { txnNumber: number; reply: Doc }>();
  private nextCursorId = 1 + Math.floor(Math.random() * 1_000_000);
  private lastTime = { t: 0, i: 0 };
  readonly processId = new ObjectId();
  readonly electionId = new ObjectId('7fffffff0000000000000001');
  private readonly startedAt = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private readonly handlers: Record<string, Handler>;
  private stopping = false;
  private stopSignal: () => void = () => undefined;
  readonly stopped = new Promise<void>((resolve) => (this.stopSignal = resolve));

  constructor(readonly options: EngineOptions) {
    const h: Record<string, Handler> = {
      hello: (db, cmd, conn) => this.hello(cmd, conn, false),
      isMaster: (db, cmd, conn) => this.hello(cmd, conn, true),
      ismaster: (db, cmd, conn) => this.hello(cmd, conn, true),
      ping: () => ({ ok: 1 }),
      buildInfo: () => this.buildInfo(),
      buildinfo: () => this.buildInfo(),
      getParameter: (db, cmd) => this.getParameter(cmd),
      endSessions: (db, cmd) => this.endSessions(cmd),
      refreshSessions: () => ({ ok: 1 }),
      killSessions: () => ({ ok: 1 }),
      listDatabases: (db, cmd) => this.listDatabases(cmd),
      listCollections: (db, cmd) => this.listCollections(db, cmd),
      create: (db, cmd) => this.create(db, cmd),
      drop: (db, cmd) => this.drop(db, cmd),
      dropDatabase: (db) => this.dropDatabase(db),
      collMod: (db, cmd) => this.collMod(db, cmd),
      createIndexes: (db, cmd) => this.createIndexes(db, cmd),
      listIndexes: (db, cmd) => this.listIndexes(db, cmd),
      dropIndexes: (db, cmd) => this.dropIndexes(db, cmd),
      deleteIndexes: (db, cmd) => this.dropIndexes(db, cmd),
      insert: (db, cmd) => this.write(db, cmd, (a, c) => insertCommand(a, c, cmd)),
      update: (db, cmd) => this.write(db, cmd, (a, c) => updateCommand(a, c, cmd)),
      delete: (db, cmd) => this.write(db, cmd, (a, c) => deleteCommand(a, c, cmd)),
      findAndModify: (db, cmd) => this.write(db, cmd, (a, c) => findAndModifyCommand(a, c, cmd)),
      findandmodify: (db, cmd) => this.write(db, cmd, (a, c) => findAndModifyCommand(a, c, cmd)),
      find: (db, cmd) => this.find(db, cmd),
      getMore: (db, cmd) => this.getMore(db, cmd),
      killCursors: (db, cmd) => this.killCursors(db, cmd),
      aggregate: (db, cmd) => this.aggregate(db, cmd),
      count: (db, cmd) => this.count(db, cmd),
      distinct: (db, cmd) => this.distinct(db, cmd),
      commitTransaction: (db, cmd) => this.commitTransaction(cmd),
      abortTransaction: (db, cmd) => this.abortTransaction(cmd),
      explain: (db, cmd) => this.explain(db, cmd),
      serverStatus: () => this.serverStatus(),
      hostInfo: () => ({
        system: { hostname: this.address, numCores: 1 },
        os: { type: process.platform },
        extra: {},
        ok: 1,
      }),
      whatsmyuri: (db, cmd, conn) => ({ you: conn.remote, ok: 1 }),
      connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
      getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
      getCmdLineOpts: () => ({ argv: ['embedded-mongo'], parsed: {}, ok: 1 }),
      dbStats: (db) => this.dbStats(db),
      collStats: (db, cmd) => this.collStats(db, cmd),
    };
    this.handlers = h;
    const sweepEvery = Math.max(10, Math.min(1000, Math.floor((options.cursorTimeoutMs ?? CURSOR_TIMEOUT_MS) / 2)));
    this.timers.push(setInterval(() => this.sweep(), sweepEvery).unref());
    this.timers.push(setInterval(() => this.expireTtl(), options.ttlMonitorIntervalMs ?? 60_000).unref());
  }

  private get logger(): Logger | undefined {
    return this.options.logger;
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  stop(): void {
    this.stopping = true;
    // Releases writes waiting on open transactions, so nothing stays pending after shutdown.
    for (const txn of this.txns.values()) if (txn.state === 'active') txn.abort();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.stopSignal();
  }

  /** A cluster time that strictly increases, as the driver expects from a replica set member. */
  tick(): Timestamp {
    const t = Math.floor(Date.now() / 1000);
    if (t > this.lastTime.t) this.lastTime = { t, i: 1 };
    else this.lastTime = { t: this.lastTime.t, i: this.lastTime.i + 1 };
    return new Timestamp({ t: this.lastTime.t, i: this.lastTime.i });
  }

  private currentTime(): Timestamp {
    if (this.lastTime.t === 0) return this.tick();
    return new Timestamp({ t: this.lastTime.t, i: this.lastTime.i });
  }

  /** Runs one command; always resolves to a reply document (errors become `ok: 0` replies). */
  async run(cmd: Doc, conn: ConnectionInfo): Promise<Doc> {
    let reply: Doc;
    try {
      const name = Object.keys(cmd)[0];
      const db = typeof cmd.$db === 'string' ? cmd.$db : 'admin';
      const handler = name !== undefined && Object.hasOwn(this.handlers, name) ? this.handlers[name] : undefined;
      if (!handler) {
        throw new MongoCommandError(ErrorCode.CommandNotFound, `no such command: '${name ?? ''}'`);
      }
      // Any command may open or continue a transaction (including ones that do not read or write through it).
      if (cmd.autocommit === false && name !== 'commitTransaction' && name !== 'abortTransaction')
        this.transactionFor(cmd);
      reply = await handler(db, cmd, conn);
    } catch (err) {
      reply = errorReply(err);
    }
    const time = this.currentTime();
    reply.$clusterTime = {
      clusterTime: time,
      signature: { hash: new BSON.Binary(Buffer.alloc(20)), keyId: Long.fromNumber(0) },
    };
    reply.operationTime = time;
    return reply;
  }

  // ---- handshake and server info ---------------------------------------------------------------------------

  private async hello(cmd: Doc, conn: ConnectionInfo, legacy: boolean): Promise<Doc> {
    // Awaitable hello (streaming SDAM): hold the reply until the topology changes (never) or the timeout.
    const tv = cmd.topologyVersion;
    const wait = Number(cmd.maxAwaitTimeMS);
    if (isPlainObject(tv) && Number.isFinite(wait) && wait > 0 && !this.stopping) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (timer = setTimeout(resolve, wait))),
        conn.closed,
        this.stopped,
      ]);
      clearTimeout(timer);
    }
    const now = new Date();
    const opTime = { ts: this.currentTime(), t: Long.fromNumber(1) };
    const reply: Doc = {
      topologyVersion: { processId: this.processId, counter: Long.fromNumber(0) },
      hosts: [this.address],
      setName: this.options.replSetName,
      setVersion: 1,
      isWritablePrimary: true,
      secondary: false,
      primary: this.address,
      me: this.address,
      electionId: this.electionId,
      lastWrite: { opTime, lastWriteDate: now, majorityOpTime: opTime, majorityWriteDate: now },
      maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
      maxWriteBatchSize: 100_000,
      localTime: now,
      logicalSessionTimeoutMinutes: 30,
      connectionId: conn.id,
      minWireVersion: 0,
      maxWireVersion: 21,
      readOnly: false,
      ok: 1,
    };
    if (legacy) {
      delete reply.isWritablePrimary;
      reply.ismaster = true;
    }
    if (cmd.helloOk === true) reply.helloOk = true;
    return reply;
  }

  private buildInfo(): Doc {
    return {
      version: '7.0.0',
      gitVersion: 'embedded',
      versionArray: [7, 0, 0, 0],
      bits: 64,
      debug: false,
      maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
      storageEngines: ['embedded'],
      javascriptEngine: 'none',
      modules: [],
      ok: 1,
    };
  }

  private getParameter(cmd: Doc): Doc {
    const known: Doc = {
      featureCompatibilityVersion: { version: '7.0' },
      transactionLifetimeLimitSeconds: 60,
      maxTransactionLockRequestTimeoutMillis: 5,
      authenticationMechanisms: [],
    };
    if (cmd.getParameter === '*') return { ...known, ok: 1 };
    const out: Doc = { ok: 1 };
    for (const k of Object.keys(cmd)) if (k in known) out[k] = known[k];
    return out;
  }

  private serverStatus(): Doc {
    return {
      host: this.address,
      version: '7.0.0',
      process: 'embedded-mongo',
      pid: Long.fromNumber(process.pid),
      uptime: Math.floor((Date.now() - this.startedAt) / 1000),
      uptimeMillis: Long.fromNumber(Date.now() - this.startedAt),
      localTime: new Date(),
      connections: { current: 0, available: 1000 },
      repl: { setName: this.options.replSetName, isWritablePrimary: true, hosts: [this.address] },
      metrics: { cursor: { open: { total: this.cursors.size } } },
      ok: 1,
    };
  }

  private dbStats(db: string): Doc {
    const colls = this.catalog.collections(db);
    const objects = colls.reduce((n, c) => n + c.docs.size, 0);
    return {
      db,
      collections: colls.length,
      views: 0,
      objects,
      indexes: colls.reduce((n, c) => n + c.indexes.length, 0),
      ok: 1,
    };
  }

  private collStats(db: string, cmd: Doc): Doc {
    const coll = this.catalog.get(`${db}.${String(cmd.collStats)}`);
    return {
      ns: `${db}.${String(cmd.collStats)}`,
      count: coll?.docs.size ?? 0,
      nindexes: coll?.indexes.length ?? 0,
      ok: 1,
    };
  }

  // ---- catalog commands -------------------------------------------------------------------------------------

  private listDatabases(cmd: Doc): Doc {
    const match = compileFilter(isPlainObject(cmd.filter) ? cmd.filter : undefined);
    const databases = [...this.catalog.dbs.keys()]
      .map((name) => ({ name, sizeOnDisk: 0, empty: this.catalog.collections(name).every((c) => c.docs.size === 0) }))
      .filter((d) => match(d));
    if (cmd.nameOnly) return { databases: databases.map((d) => ({ name: d.name })), ok: 1 };
    return { databases, totalSize: 0, totalSizeMb: 0, ok: 1 };
  }

  private listCollections(db: string, cmd: Doc): Doc {
    const match = compileFilter(isPlainObject(cmd.filter) ? cmd.filter : undefined);
    const infos = this.catalog
      .collections(db)
      .map((c) =>
        cmd.nameOnly
          ? { name: c.name, type: 'collection' }
          : {
              name: c.name,
              type: 'collection',
              options: c.options,
              info: { readOnly: false, uuid: c.uuid },
              idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
            },
      )
      .filter((d) => match(d));
    return this.cursorReply(`${db}.$cmd.listCollections`, infos, cmd.cursor);
  }

  private collectionName(cmd: Doc, field: string): string {
    return validateCollectionName(cmd[field]);
  }

  /** Creates a collection implicitly (first insert, createIndexes), logging it. */
  private ensureCollection(db: string, name: string, ops: LogOp[]): Collection {
    const ns = `${validateDbName(db)}.${validateCollectionName(name)}`;
    const existing = this.catalog.get(ns);
    if (existing) return existing;
    const coll = this.catalog.create(ns);
    ops.push({ op: 'cc', ns, options: {}, uuid: coll.uuid });
    return coll;
  }

  private async create(db: string, cmd: Doc): Promise<Doc> {
    const name = this.collectionName(cmd, 'create');
    validateDbName(db);
    const ns = `${db}.${name}`;
    if (cmd.viewOn !== undefined)
      throw new MongoCommandError(ErrorCode.BadValue, 'views are not supported by the embedded engine');
    if (this.catalog.get(ns))
      throw new MongoCommandError(ErrorCode.NamespaceExists, `Collection ${ns} already exists.`);
    const options: Doc = {};
    for (const [k, v] of Object.entries(cmd)) {
      if (
        k !== 'create' &&
        !k.startsWith('$') &&
        !['lsid', 'txnNumber', 'writeConcern', 'autocommit', 'startTransaction'].includes(k)
      ) {
        options[k] = v;
      }
    }
    const coll = this.catalog.create(ns, options);
    await this.persist([{ op: 'cc', ns, options, uuid: coll.uuid }]);
    return { ok: 1 };
  }

  private async drop(db: string, cmd: Doc): Promise<Doc> {
    const name = this.collectionName(cmd, 'drop');
    const ns = `${db}.${name}`;
    const coll = this.catalog.get(ns);
    // MongoDB 7.0 treats dropping a missing collection as success.
    if (!coll) return { ok: 1 };
    this.catalog.drop(ns);
    for (const [id, c] of this.cursors) if (c.ns === ns) this.cursors.delete(id);
    await this.persist([{ op: 'dc', ns }]);
    return { nIndexesWas: coll.indexes.length, ns, ok: 1 };
  }

  private async dropDatabase(db: string): Promise<Doc> {
    if (this.catalog.dbs.has(db)) {
      this.catalog.dropDatabase(db);
      await this.persist([{ op: 'dd', db }]);
    }
    return { dropped: db, ok: 1 };
  }

  private async collMod(db: string, cmd: Doc): Promise<Doc> {
    const ns = `${db}.${this.collectionName(cmd, 'collMod')}`;
    const coll = this.catalog.get(ns);
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
      if (typeof spec.expireAfterSeconds === 'number') {
        reply.expireAfterSeconds_old = index.spec.expireAfterSeconds;
        index.spec.expireAfterSeconds = spec.expireAfterSeconds;
        reply.expireAfterSeconds_new = spec.expireAfterSeconds;
        await this.persist([
          { op: 'di', ns, name: index.name },
          { op: 'ci', ns, spec: index.spec },
        ]);
      }
      return reply;
    }
    const options = { ...coll.options };
    for (const [k, v] of Object.entries(cmd))
      if (k !== 'collMod' && !k.startsWith('$') && k !== 'lsid' && k !== 'writeConcern') options[k] = v;
    coll.options = options;
    await this.persist([{ op: 'cm', ns, options }]);
    return reply;
  }

  private async createIndexes(db: string, cmd: Doc): Promise<Doc> {
    const name = this.collectionName(cmd, 'createIndexes');
    if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) {
      throw new MongoCommandError(ErrorCode.BadValue, 'Must specify at least one index to create');
    }
    const ops: LogOp[] = [];
    const existed = this.catalog.get(`${db}.${name}`) !== undefined;
    const coll = this.ensureCollection(db, name, ops);
    const before = coll.indexes.length;
    const created: string[] = [];
    try {
      for (const raw of cmd.indexes as unknown[]) {
        if (!isPlainObject(raw) || !isPlainObject(raw.key) || Object.keys(raw.key).length === 0) {
          throw new MongoCommandError(ErrorCode.BadValue, 'Index specification must have a non-empty key object');
        }
        for (const [f, v] of Object.entries(raw.key)) {
          if (typeof v === 'number' ? v === 0 || !Number.isFinite(v) : typeof v !== 'string') {
            throw new MongoCommandError(
              ErrorCode.BadValue,
              `Values in the index key pattern must be numbers or strings (field ${f})`,
            );
          }
        }
        const { key, name: rawName, v: _v, ...indexOptions } = raw;
        const spec: IndexSpec = {
          v: 2,
          key,
          name: typeof rawName === 'string' ? rawName : defaultIndexName(key),
          ...indexOptions,
        };
        const sameName = coll.getIndex(spec.name);
        const sameKey = coll.indexes.find((i) => keyString(i.spec.key) === keyString(spec.key));
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
      if (!existed) this.catalog.drop(coll.ns);
      throw err;
    }
    await this.persist(ops);
    const reply: Doc = {
      numIndexesBefore: before,
      numIndexesAfter: coll.indexes.length,
      createdCollectionAutomatically: !existed,
      ok: 1,
    };
    if (created.length === 0) reply.note = 'all indexes already exist';
    return reply;
  }

  private listIndexes(db: string, cmd: Doc): Doc {
    const ns = `${db}.${this.collectionName(cmd, 'listIndexes')}`;
    const coll = this.catalog.get(ns);
    if (!coll) throw new MongoCommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${ns}`);
    return this.cursorReply(
      ns,
      coll.indexes.map((i) => ({ ...i.spec })),
      cmd.cursor,
    );
  }

  private async dropIndexes(db: string, cmd: Doc): Promise<Doc> {
    const field = 'dropIndexes' in cmd ? 'dropIndexes' : 'deleteIndexes';
    const ns = `${db}.${this.collectionName(cmd, field)}`;
    const coll = this.catalog.get(ns);
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
    await this.persist(names.map((name) => ({ op: 'di' as const, ns, name })));
    return { nIndexesWas: before, ok: 1 };
  }

  // ---- sessions and transactions ----------------------------------------------------------------------------

  private sessionKey(cmd: Doc): string | undefined {
    const lsid = cmd.lsid;
    if (!isPlainObject(lsid)) return undefined;
    return keyString(lsid.id);
  }

  /** The transaction a command belongs to, starting one when asked; undefined outside transactions. */
  private transactionFor(cmd: Doc): Transaction | undefined {
    if (cmd.autocommit !== false) return undefined;
    const key = this.sessionKey(cmd);
    const txnNumber = Number(cmd.txnNumber);
    if (!key || !Number.isFinite(txnNumber)) {
      throw new MongoCommandError(ErrorCode.BadValue, 'autocommit:false requires lsid and txnNumber');
    }
    const current = this.txns.get(key);
    if (cmd.startTransaction === true) {
      // run() registers the transaction before dispatch; the handler's own lookup must get the same one.
      if (current && current.txnNumber === txnNumber && current.state === 'active') return current;
      if (current && current.txnNumber > txnNumber) {
        throw new MongoCommandError(
          ErrorCode.TransactionTooOld,
          `txnNumber ${txnNumber} is less than last txnNumber ${current.txnNumber}`,
        );
      }
      if (current && current.state === 'active') current.abort();
      const txn = new Transaction(key, txnNumber, this.claims, this.catalog);
      this.txns.set(key, txn);
      return txn;
    }
    if (!current || current.txnNumber !== txnNumber || current.state !== 'active') {
      throw noSuchTransaction(txnNumber);
    }
    current.lastUsed = Date.now();
    return current;
  }

  /** Ends sessions: aborts their open transactions and forgets their retryable-write state. */
  private endSessions(cmd: Doc): Doc {
    const ids = Array.isArray(cmd.endSessions) ? cmd.endSessions : [];
    for (const lsid of ids) {
      if (!isPlainObject(lsid)) continue;
      const key = keyString(lsid.id);
      const txn = this.txns.get(key);
      if (txn?.state === 'active') txn.abort();
      this.txns.delete(key);
      this.lastRetryable.delete(key);
      for (const [id, c] of this.cursors) if (c.sessionKey === key) this.cursors.delete(id);
    }
    return { ok: 1 };
  }

  private async commitTransaction(cmd: Doc): Promise<Doc> {
    const key = this.sessionKey(cmd);
    const txnNumber = Number(cmd.txnNumber);
    const txn = key ? this.txns.get(key) : undefined;
    if (!txn || txn.txnNumber !== txnNumber) throw noSuchTransaction(txnNumber);
    if (txn.state === 'committed') return { ok: 1 };
    if (txn.state === 'aborted') throw noSuchTransaction(txnNumber);
    const record = txn.commit(this.catalog);
    this.tick();
    if (record) await this.persist([record]);
    return { ok: 1 };
  }

  private abortTransaction(cmd: Doc): Doc {
    const key = this.sessionKey(cmd);
    const txnNumber = Number(cmd.txnNumber);
    const txn = key ? this.txns.get(key) : undefined;
    if (!txn || txn.txnNumber !== txnNumber || txn.state !== 'active') throw noSuchTransaction(txnNumber);
    txn.abort();
    return { ok: 1 };
  }

  // ---- writes ----------------------------------------------------------------------------------------------

  /**
   * Shared envelope for write commands: picks direct or transactional access, creates the collection on
   * demand, answers retried retryable writes from the previous reply, and waits for durability before replying.
   */
  private async write(db: string, cmd: Doc, body: (access: Access, coll: Collection) => Doc): Promise<Doc> {
    const field = Object.keys(cmd)[0];
    const name = validateCollectionName(cmd[field]);
    validateDbName(db);
    const txn = this.transactionFor(cmd);
    const sessionKey = this.sessionKey(cmd);
    const retryKey = !txn && sessionKey && cmd.txnNumber !== undefined ? `${sessionKey}` : undefined;
    if (retryKey) {
      const prev = this.lastRetryable.get(retryKey);
      if (prev && prev.txnNumber === Number(cmd.txnNumber)) return { ...prev.reply, retriedStmtIds: [] };
    }
    const catalogOps: LogOp[] = [];
    // Like mongod, only a write that may insert creates a missing collection; others see an empty one.
    const existing = this.catalog.get(`${db}.${name}`);
    const coll = existing ?? (mayInsert(cmd) ? this.ensureCollection(db, name, catalogOps) : new Collection(db, name));
    let access: Access = txn ?? new DirectAccess(this.claims);
    let reply: Doc;
    try {
      for (;;) {
        try {
          reply = body(access, coll);
          break;
        } catch (err) {
          if (!(err instanceof BlockedByTransaction)) throw err;
          // Nothing was applied yet: wait for the transaction holding the document, then run the command again.
          await err.transaction.ended;
          access = new DirectAccess(this.claims);
        }
      }
    } catch (err) {
      txn?.abort();
      throw err;
    } finally {
      const ops = [...catalogOps, ...(access instanceof DirectAccess ? access.ops : [])];
      if (ops.length > 0) {
        this.tick();
        await this.persist(ops);
      }
    }
    if (txn && (Array.isArray(reply.writeErrors) || reply.ok === 0)) txn.abort();
    if (retryKey) {
      this.lastRetryable.set(retryKey, { txnNumber: Number(cmd.txnNumber), reply });
    }
    return reply;
  }

  // ---- reads -----------------------------------------------------------------------------------------------

  private readAccess(cmd: Doc): Access {
    return this.transactionFor(cmd) ?? DIRECT_READ;
  }

  private find(db: string, cmd: Doc): Doc {
    const name = this.collectionName(cmd, 'find');
    const ns = `${db}.${name}`;
    const access = this.readAccess(cmd);
    const coll = this.catalog.get(ns);
    const filter = cmd.filter === undefined ? {} : cmd.filter;
    if (!isPlainObject(filter))
      throw new MongoCommandError(
        ErrorCode.TypeMismatch,
        "BSON field 'FindCommandRequest.filter' is the wrong type, expected type 'object'",
      );
    const skip = toNonNegative(cmd.skip, 'skip');
    let limit = cmd.limit === undefined ? 0 : Number(cmd.limit);
    if (!Number.isFinite(limit)) throw new MongoCommandError(ErrorCode.BadValue, 'limit must be a number');
    let singleBatch = cmd.singleBatch === true;
    if (limit < 0) {
      limit = -limit;
      singleBatch = true;
    }
    let docs = coll ? access.find(coll, filter, { sort: parseSort(cmd.sort), skip, limit }) : [];
    if (isPlainObject(cmd.projection) && Object.keys(cmd.projection).length > 0)
      docs = projectDocs(docs, cmd.projection, filter);
    return this.cursorReply(ns, docs, { batchSize: cmd.batchSize }, singleBatch, this.sessionKey(cmd));
  }

  private aggregate(db: string, cmd: Doc): Doc {
    const pipeline = cmd.pipeline;
    if (!Array.isArray(pipeline))
      throw new MongoCommandError(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
    if (!isPlainObject(cmd.cursor) && cmd.explain !== true) {
      throw new MongoCommandError(
        ErrorCode.FailedToParse,
        "The 'cursor' option is required, except for aggregate with the explain argument",
      );
    }
    const access = this.readAccess(cmd);
    let input: Doc[] = [];
    let stages = pipeline as Doc[];
    let ns: string;
    if (cmd.aggregate === 1) {
      ns = `${db}.$cmd.aggregate`;
      const first = stages[0];
      if (first && isPlainObject(first) && Array.isArray(first.$documents)) {
        input = first.$documents as Doc[];
        stages = stages.slice(1);
      } else {
        throw new MongoCommandError(ErrorCode.BadValue, 'collectionless aggregate supports only $documents');
      }
    } else {
      const name = this.collectionName(cmd, 'aggregate');
      ns = `${db}.${name}`;
      const coll = this.catalog.get(ns);
      if (coll) {
        // A leading $match (and $sort/$limit after it) is answered by the planner, so it can use indexes.
        const first = stages[0];
        if (first && isPlainObject(first.$match)) {
          const match = first.$match;
          let sort: ReturnType<typeof parseSort>;
          let consumed = 1;
          let limit = 0;
          const second = stages[1];
          if (second && isPlainObject(second.$sort)) {
            sort = parseSort(second.$sort);
            consumed = 2;
            const third = stages[2];
            if (third && typeof third.$limit === 'number') {
              limit = third.$limit;
              consumed = 3;
            }
          }
          input = access.find(coll, match, { sort, limit });
          stages = stages.slice(consumed);
        } else {
          input = access.find(coll, {});
        }
      }
    }
    const resolve = (other: string): Doc[] => {
      const c = this.catalog.get(`${db}.${other}`);
      return c ? access.find(c, {}) : [];
    };
    let docs: Doc[];
    try {
      docs = runPipeline(input, stages, resolve);
    } catch (err) {
      throw asCommandError(err);
    }
    return this.cursorReply(ns, docs, cmd.cursor, false, this.sessionKey(cmd));
  }

  private count(db: string, cmd: Doc): Doc {
    const ns = `${db}.${this.collectionName(cmd, 'count')}`;
    const coll = this.catalog.get(ns);
    if (!coll) return { n: 0, ok: 1 };
    const query = isPlainObject(cmd.query) ? cmd.query : {};
    const access = this.readAccess(cmd);
    const skip = toNonNegative(cmd.skip, 'skip');
    const limit = Math.abs(Number(cmd.limit ?? 0));
    if (Object.keys(query).length === 0 && !(access instanceof Transaction)) {
      const total = coll.docs.size;
      const n = Math.max(0, total - skip);
      return { n: limit > 0 ? Math.min(n, limit) : n, ok: 1 };
    }
    return { n: access.find(coll, query, { skip, limit }).length, ok: 1 };
  }

  private distinct(db: string, cmd: Doc): Doc {
    const ns = `${db}.${this.collectionName(cmd, 'distinct')}`;
    if (typeof cmd.key !== 'string')
      throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'distinct.key' is missing but a required field");
    const coll = this.catalog.get(ns);
    if (!coll) return { values: [], ok: 1 };
    const query = isPlainObject(cmd.query) ? cmd.query : {};
    const seen = new Map<string, unknown>();
    for (const doc of this.readAccess(cmd).find(coll, query)) {
      for (const v of pathValues(doc, cmd.key)) {
        if (v === undefined) continue;
        const k = keyString(v);
        if (!seen.has(k)) seen.set(k, v);
      }
    }
    return { values: [...seen.values()], ok: 1 };
  }

  private explain(db: string, cmd: Doc): Doc {
    const inner = cmd.explain;
    if (!isPlainObject(inner)) throw new MongoCommandError(ErrorCode.BadValue, 'explain requires a command object');
    const verb = Object.keys(inner)[0];
    const ns = `${db}.${String(inner[verb])}`;
    const coll = this.catalog.get(ns);
    const filter = (isPlainObject(inner.filter) ? inner.filter : isPlainObject(inner.query) ? inner.query : {}) as Doc;
    const sort = parseSort(inner.sort);
    const plan = coll?.plan(filter, sort);
    const idHack = coll && isPlainObject(filter) && '_id' in filter && Object.keys(filter).length === 1;
    const winningPlan = idHack
      ? { stage: 'IDHACK' }
      : plan
        ? {
            stage: 'FETCH',
            inputStage: {
              stage: 'IXSCAN',
              indexName: plan.index.name,
              keyPattern: plan.index.spec.key,
              isMultiKey: plan.index.multikey,
            },
          }
        : { stage: 'COLLSCAN' };
    return { queryPlanner: { namespace: ns, winningPlan, rejectedPlans: [] }, ok: 1 };
  }

  // ---- cursors ---------------------------------------------------------------------------------------------

  private cursorReply(ns: string, docs: Doc[], cursorOpt: unknown, singleBatch = false, sessionKey?: string): Doc {
    const batchSize =
      isPlainObject(cursorOpt) && cursorOpt.batchSize !== undefined ? Number(cursorOpt.batchSize) : undefined;
    if (batchSize !== undefined && (!Number.isFinite(batchSize) || batchSize < 0)) {
      throw new MongoCommandError(ErrorCode.BadValue, 'batchSize must be non-negative');
    }
    const state: CursorState = { id: 0, ns, docs, pos: 0, lastUsed: Date.now(), sessionKey };
    const firstBatch = takeBatch(state, batchSize === undefined ? DEFAULT_BATCH : batchSize);
    let id = 0;
    if (state.pos < docs.length && !singleBatch) {
      id = this.nextCursorId++;
      state.id = id;
      this.cursors.set(id, state);
    }
    return { cursor: { firstBatch, id: Long.fromNumber(id), ns }, ok: 1 };
  }

  private getMore(db: string, cmd: Doc): Doc {
    const id = Number(cmd.getMore);
    if (!Number.isFinite(id))
      throw new MongoCommandError(
        ErrorCode.TypeMismatch,
        "BSON field 'getMore.getMore' is the wrong type, expected type 'long'",
      );
    const collection = cmd.collection;
    if (typeof collection !== 'string' || collection.length === 0) {
      throw new MongoCommandError(
        ErrorCode.TypeMismatch,
        "BSON field 'getMore.collection' is missing but a required field",
      );
    }
    const state = this.cursors.get(id);
    if (!state) throw new MongoCommandError(ErrorCode.CursorNotFound, `cursor id ${id} not found`);
    if (state.ns !== `${db}.${collection}`) {
      throw new MongoCommandError(
        ErrorCode.Unauthorized,
        `Requested getMore on namespace '${db}.${collection}', but cursor belongs to a different namespace ${state.ns}`,
      );
    }
    const batchSize = cmd.batchSize === undefined ? 0 : Number(cmd.batchSize);
    const nextBatch = takeBatch(state, batchSize > 0 ? batchSize : Infinity);
    state.lastUsed = Date.now();
    let outId = id;
    if (state.pos >= state.docs.length) {
      this.cursors.delete(id);
      outId = 0;
    }
    return { cursor: { nextBatch, id: Long.fromNumber(outId), ns: state.ns }, ok: 1 };
  }

  private killCursors(db: string, cmd: Doc): Doc {
    const ids = Array.isArray(cmd.cursors) ? cmd.cursors : [];
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of ids) {
      const id = Number(raw);
      if (this.cursors.delete(id)) killed.push(Long.fromNumber(id));
      else notFound.push(Long.fromNumber(id));
    }
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  // ---- housekeeping ----------------------------------------------------------------------------------------

  private sweep(): void {
    try {
      this.sweepOnce();
    } catch (err) {
      this.logger?.error('embedded-mongo: cursor/transaction sweep failed', { error: (err as Error).message });
    }
  }

  private sweepOnce(): void {
    const now = Date.now();
    const cursorTimeout = this.options.cursorTimeoutMs ?? CURSOR_TIMEOUT_MS;
    for (const [id, c] of this.cursors) if (now - c.lastUsed > cursorTimeout) this.cursors.delete(id);
    const txnLifetime = this.options.transactionLifetimeMs ?? 60_000;
    for (const txn of this.txns.values()) {
      if (txn.state === 'active' && now - txn.lastUsed > txnLifetime) txn.abort();
    }
  }

  /** Removes documents whose TTL-indexed date field is older than expireAfterSeconds. */
  expireTtl(): void {
    try {
      this.expireTtlOnce();
    } catch (err) {
      this.logger?.error('embedded-mongo: TTL monitor failed', { error: (err as Error).message });
    }
  }

  private expireTtlOnce(): void {
    const now = Date.now();
    const ops: LogOp[] = [];
    for (const coll of this.catalog.all()) {
      for (const index of coll.indexes) {
        const ttl = index.spec.expireAfterSeconds;
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
    if (ops.length > 0) {
      this.tick();
      this.persist(ops).catch(() => undefined);
    }
  }

  private async persist(ops: LogOp[]): Promise<void> {
    if (ops.length === 0 || !this.options.persistence) return;
    await this.options.persistence.append(ops);
  }
}

const DIRECT_READ = new DirectAccess();

function mayInsert(cmd: Doc): boolean {
  if ('insert' in cmd) return true;
  if ('update' in cmd)
    return Array.isArray(cmd.updates) && cmd.updates.some((u) => isPlainObject(u) && u.upsert === true);
  if ('findAndModify' in cmd || 'findandmodify' in cmd) return cmd.upsert === true;
  return false;
}

function noSuchTransaction(txnNumber: number): MongoCommandError {
  return new MongoCommandError(
    ErrorCode.NoSuchTransaction,
    `Transaction with { txnNumber: ${txnNumber} } has been aborted.`,
    {},
    ['TransientTransactionError'],
  );
}

function takeBatch(state: CursorState, max: number): Doc[] {
  const out: Doc[] = [];
  let bytes = 0;
  while (state.pos < state.docs.length && out.length < max) {
    const doc = state.docs[state.pos];
    // A batch holds at least one document and stops before exceeding 16 MB, as in mongod.
    bytes += BSON.calculateObjectSize(doc);
    if (bytes > BATCH_BYTES && out.length > 0) break;
    out.push(doc);
    state.pos++;
  }
  return out;
}

function toNonNegative(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new MongoCommandError(ErrorCode.BadValue, `${field} value must be non-negative, but received: ${String(v)}`);
  return n;
}

export function errorReply(err: unknown): Doc {
  const e = asCommandError(err);
  const reply: Doc = { ok: 0, errmsg: e.message, code: e.code, codeName: e.codeName, ...e.extra };
  if (e.errorLabels.length) reply.errorLabels = e.errorLabels;
  return reply;
}

/** The options that make two indexes with one key pattern different (ignoring cosmetic ones). */
function indexOptionsKey(spec: IndexSpec): string {
  return keyString({
    unique: spec.unique === true,
    sparse: spec.sparse === true,
    partialFilterExpression: spec.partialFilterExpression ?? null,
    expireAfterSeconds: spec.expireAfterSeconds ?? null,
  });
}

export function defaultIndexName(key: Doc): string {
  return Object.entries(key)
    .map(([f, v]) => `${f}_${String(v)}`)
    .join('_');
}

export { splitNs };
