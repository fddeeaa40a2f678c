import { Long, ObjectId } from 'bson';
import type { CommandTable, Engine } from '../engine.js';
import { ErrorCode, MongoCommandError } from '../errors.js';
import { isPlainObject, type Doc } from '../paths.js';
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE_BYTES } from '../wire.js';

/** Handshake and server information, shaped like a mongod 7.0 primary of a one-member replica set. */

export const SERVER_VERSION = '7.0.0';
/** The engine enforces no connection limit; serverStatus reports `available` against this nominal one. */
const MAX_INCOMING_CONNECTIONS = 1000;

export function serverInfoCommands(engine: Engine): CommandTable {
  return {
    hello: (_db, cmd, conn) => hello(engine, cmd, conn, false),
    isMaster: (_db, cmd, conn) => hello(engine, cmd, conn, true),
    ismaster: (_db, cmd, conn) => hello(engine, cmd, conn, true),
    ping: () => ({ ok: 1 }),
    buildInfo: () => buildInfo(),
    buildinfo: () => buildInfo(),
    getParameter: (_db, cmd) => getParameter(cmd),
    serverStatus: () => serverStatus(engine),
    hostInfo: () => ({
      system: { hostname: engine.address, numCores: 1 },
      os: { type: process.platform },
      extra: {},
      ok: 1,
    }),
    whatsmyuri: (_db, _cmd, conn) => ({ you: conn.remote, ok: 1 }),
    connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
    getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
    getCmdLineOpts: () => ({ argv: ['embedded-mongo'], parsed: {}, ok: 1 }),
    dbStats: (db) => dbStats(engine, db),
    collStats: (db, cmd) => collStats(engine, db, cmd),
  };
}

/** The fields of an awaitable hello (streaming SDAM), checked as a replica-set mongod checks them. */
interface AwaitableHello {
  processId: ObjectId;
  counter: number;
  maxAwaitTimeMS: number;
}

const HELLO_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);

function awaitableHello(cmd: Doc): AwaitableHello | undefined {
  const tv: unknown = cmd.topologyVersion;
  const wait: unknown = cmd.maxAwaitTimeMS;
  if (tv === undefined && wait === undefined) return undefined;
  if (tv === undefined)
    throw new MongoCommandError(31368, "A request with 'maxAwaitTimeMS' must include a 'topologyVersion'");
  if (wait === undefined)
    throw new MongoCommandError(31368, "A request with a 'topologyVersion' must include 'maxAwaitTimeMS'");
  if (!isPlainObject(tv)) throw new MongoCommandError(10065, 'invalid parameter: expected an object (topologyVersion)');
  for (const k of Object.keys(tv)) {
    if (k !== 'processId' && k !== 'counter')
      throw new MongoCommandError(ErrorCode.Location40415, `BSON field 'TopologyVersion.${k}' is an unknown field.`);
  }
  for (const k of ['processId', 'counter']) {
    if (tv[k] === undefined)
      throw new MongoCommandError(
        ErrorCode.Location40414,
        `BSON field 'TopologyVersion.${k}' is missing but a required field`,
      );
  }
  if (!(tv.processId instanceof ObjectId)) throw wrongType('TopologyVersion.processId', 'objectId');
  const counter = integer(tv.counter);
  if (counter === undefined) throw wrongType('TopologyVersion.counter', 'long');
  const maxAwaitTimeMS = integer(wait);
  if (maxAwaitTimeMS === undefined) throw wrongType('maxAwaitTimeMS', 'long');
  if (maxAwaitTimeMS < 0) throw new MongoCommandError(31373, 'maxAwaitTimeMS must be a non-negative integer');
  if (counter < 0) throw new MongoCommandError(31372, 'topologyVersion must have a non-negative counter');
  return { processId: tv.processId, counter, maxAwaitTimeMS };
}

/** An int, a long (promoted to a number by the wire layer, or still a Long past 2^53) or an integral double. */
function integer(v: unknown): number | undefined {
  if (v instanceof Long) return v.toNumber();
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

function wrongType(field: string, expected: string): MongoCommandError {
  return new MongoCommandError(
    ErrorCode.TypeMismatch,
    `BSON field '${field}' is the wrong type, expected type '${expected}'`,
  );
}

/**
 * Exhaust (OP_MSG `exhaustAllowed`): after replying to an awaitable hello with `moreToCome`, mongod answers the same
 * hello again with the topologyVersion of its last reply, until the connection closes. The next command, or
 * undefined when the stream ends here (an error, or a hello that is not awaitable).
 */
export function nextExhaustHello(cmd: Doc, reply: Doc): Doc | undefined {
  const name = Object.keys(cmd)[0] ?? '';
  if (!HELLO_COMMANDS.has(name) || reply.ok !== 1 || !isPlainObject(reply.topologyVersion)) return undefined;
  if (cmd.maxAwaitTimeMS === undefined) return undefined;
  return { ...cmd, topologyVersion: reply.topologyVersion };
}

async function hello(
  engine: Engine,
  cmd: Doc,
  conn: { id: number; closed: Promise<void> },
  legacy: boolean,
): Promise<Doc> {
  const awaitable = awaitableHello(cmd);
  const topologyVersion = { processId: engine.processId, counter: Long.fromNumber(engine.topologyCounter) };
  if (awaitable && awaitable.processId.equals(engine.processId)) {
    if (awaitable.counter > engine.topologyCounter)
      throw new MongoCommandError(
        31382,
        'Received a topology version with the same process ID and a higher counter than the server',
      );
    // Same topology as the client last saw: hold the reply until it changes (only shutdown changes it here), the
    // connection closes, or maxAwaitTimeMS passes. Another processId or an older counter is answered at once.
    if (awaitable.counter === engine.topologyCounter && awaitable.maxAwaitTimeMS > 0 && !engine.stopping) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (timer = setTimeout(resolve, awaitable.maxAwaitTimeMS))),
        conn.closed,
        engine.stopped,
      ]);
      clearTimeout(timer);
    }
  }
  if (awaitable && engine.stopping) {
    // mongod in quiesce mode: awaitable hellos fail at once, carrying the new topologyVersion.
    throw new MongoCommandError(ErrorCode.ShutdownInProgress, 'The server is in quiesce mode and will shut down', {
      topologyVersion: { processId: engine.processId, counter: Long.fromNumber(engine.topologyCounter) },
    });
  }
  const now = new Date();
  const opTime = { ts: engine.currentTime(), t: Long.fromNumber(1) };
  const address = engine.address;
  const reply: Doc = {
    topologyVersion,
    hosts: [address],
    setName: engine.options.replSetName,
    setVersion: 1,
    isWritablePrimary: true,
    secondary: false,
    primary: address,
    me: address,
    electionId: engine.electionId,
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

function buildInfo(): Doc {
  return {
    version: SERVER_VERSION,
    gitVersion: 'embedded',
    versionArray: SERVER_VERSION.split('.').map(Number).concat([0]),
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['embedded'],
    javascriptEngine: 'none',
    modules: [],
    ok: 1,
  };
}

function getParameter(cmd: Doc): Doc {
  const known: Doc = {
    featureCompatibilityVersion: { version: SERVER_VERSION.split('.').slice(0, 2).join('.') },
    transactionLifetimeLimitSeconds: 60,
    maxTransactionLockRequestTimeoutMillis: 5,
    authenticationMechanisms: [],
  };
  if (cmd.getParameter === '*') return { ...known, ok: 1 };
  const out: Doc = { ok: 1 };
  for (const k of Object.keys(cmd)) if (k in known) out[k] = known[k];
  return out;
}

function serverStatus(engine: Engine): Doc {
  const up = Date.now() - engine.startedAt;
  return {
    host: engine.address,
    version: SERVER_VERSION,
    process: 'embedded-mongo',
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor(up / 1000),
    uptimeMillis: Long.fromNumber(up),
    localTime: new Date(),
    connections: {
      current: engine.connections.current,
      available: Math.max(0, MAX_INCOMING_CONNECTIONS - engine.connections.current),
      totalCreated: engine.connections.totalCreated,
    },
    repl: { setName: engine.options.replSetName, isWritablePrimary: true, hosts: [engine.address] },
    metrics: {
      cursor: { open: { total: engine.cursors.size } },
      queryExecutor: {
        scanned: Long.fromNumber(engine.catalog.counters.keysExamined),
        scannedObjects: Long.fromNumber(engine.catalog.counters.docsExamined),
      },
    },
    ok: 1,
  };
}

function dbStats(engine: Engine, db: string): Doc {
  const colls = engine.catalog.collections(db);
  return {
    db,
    collections: colls.length,
    views: 0,
    objects: colls.reduce((n, c) => n + c.docs.size, 0),
    indexes: colls.reduce((n, c) => n + c.indexes.length, 0),
    ok: 1,
  };
}

function collStats(engine: Engine, db: string, cmd: Doc): Doc {
  const ns = `${db}.${String(cmd.collStats)}`;
  const coll = engine.catalog.get(ns);
  return { ns, count: coll?.docs.size ?? 0, nindexes: coll?.indexes.length ?? 0, ok: 1 };
}
