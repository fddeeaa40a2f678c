import { Long } from 'bson';
import type { CommandTable, Engine } from '../engine.js';
import { isPlainObject, type Doc } from '../paths.js';
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE_BYTES } from '../wire.js';

/** Handshake and server information, shaped like a mongod 7.0 primary of a one-member replica set. */

export const SERVER_VERSION = '7.0.0';

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

async function hello(
  engine: Engine,
  cmd: Doc,
  conn: { id: number; closed: Promise<void> },
  legacy: boolean,
): Promise<Doc> {
  // Awaitable hello (streaming SDAM): hold the reply until the topology changes (never) or the timeout.
  const tv = cmd.topologyVersion;
  const wait = Number(cmd.maxAwaitTimeMS);
  if (isPlainObject(tv) && Number.isFinite(wait) && wait > 0 && !engine.stopping) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (timer = setTimeout(resolve, wait))),
      conn.closed,
      engine.stopped,
    ]);
    clearTimeout(timer);
  }
  const now = new Date();
  const opTime = { ts: engine.currentTime(), t: Long.fromNumber(1) };
  const address = engine.address;
  const reply: Doc = {
    topologyVersion: { processId: engine.processId, counter: Long.fromNumber(0) },
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
    connections: { current: 0, available: 1000 },
    repl: { setName: engine.options.replSetName, isWritablePrimary: true, hosts: [engine.address] },
    metrics: { cursor: { open: { total: engine.cursors.size } } },
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
