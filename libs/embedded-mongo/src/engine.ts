import { BSON, Long, ObjectId, Timestamp } from 'bson';
import { Catalog, splitNs, type LogOp } from './catalog.js';
import { catalogCommands, defaultIndexName } from './commands/catalog.js';
import { checkApiParameters } from './stable-api.js';
import { runByStatement, runsByStatement } from './statement-retry.js';
import { addFailPointWriteConcernError, failPointError, FailPoints } from './commands/fail-points.js';
import { readCommands } from './commands/reads.js';
import { serverInfoCommands } from './commands/server-info.js';
import { sessionCommands } from './commands/sessions.js';
import { writeCommands } from './commands/writes.js';
import { CURSOR_TIMEOUT_MS, CursorRegistry } from './cursors.js';
import { ErrorCode, errorReply, MongoCommandError } from './errors.js';
import { isPlainObject, type Doc } from './paths.js';
import type { Logger } from './server.js';
import { checkSessionFields, checkTransactionStatement, SessionRegistry } from './sessions.js';
import { expireTtlDocuments } from './ttl-monitor.js';

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
  /** mongod's `enableTestCommands`: adds `configureFailPoint` (the `failCommand` fail point). Off by default. */
  enableTestCommands?: boolean;
}

export interface ConnectionInfo {
  id: number;
  remote: string;
  /** Resolves when the connection or server closes, to end an awaitable hello early. */
  closed: Promise<void>;
  /** The application name the client gave in its handshake (`client.application.name`). */
  appName?: string;
  /** Drops the connection without a reply (a fail point's `closeConnection`). */
  close(): void;
}

const HANDSHAKES = new Set(['hello', 'isMaster', 'ismaster']);

/** How long a snapshot read's cluster time stays readable after its last use (mongod: 300 s). */
const SNAPSHOT_HISTORY_MS = 300_000;

/** Commands a multi-document transaction may run (MongoDB 7.0); others fail with 263. */
const TRANSACTION_COMMANDS = new Set([
  'find',
  'aggregate',
  'distinct',
  'getMore',
  'killCursors',
  'insert',
  'update',
  'delete',
  'findAndModify',
  'findandmodify',
  'create',
  'createIndexes',
  'commitTransaction',
  'abortTransaction',
]);

/** Commands a readConcern "snapshot" outside a transaction is refused on (only find, aggregate, distinct read one). */
const NOT_SNAPSHOT_READS = new Set([
  'insert',
  'update',
  'delete',
  'findAndModify',
  'findandmodify',
  'count',
  'listDatabases',
  'listCollections',
  'listIndexes',
  'create',
  'drop',
  'dropDatabase',
  'createIndexes',
  'dropIndexes',
  'collMod',
  'renameCollection',
]);

/** Commands whose reply reports whether their write concern was satisfied. */
const WRITE_CONCERN_COMMANDS = new Set([...NOT_SNAPSHOT_READS, 'commitTransaction', 'abortTransaction', 'aggregate']);

export type Handler = (db: string, cmd: Doc, conn: ConnectionInfo) => Doc | Promise<Doc>;
/** A family of commands by name (commands/*.ts each export one). */
export type CommandTable = Record<string, Handler>;

/**
 * The command layer: dispatches each command to its family (commands/), which runs it against the catalog;
 * owns the cluster clock, cursors, sessions and housekeeping timers.
 */
export class Engine {
  readonly catalog = new Catalog();
  readonly cursors = new CursorRegistry();
  readonly sessions = new SessionRegistry(this.catalog);
  readonly failPoints = new FailPoints();
  readonly processId = new ObjectId();
  readonly electionId = new ObjectId('7fffffff0000000000000001');
  readonly startedAt = Date.now();
  private lastTime = { t: 0, i: 0 };
  private timers: NodeJS.Timeout[] = [];
  private readonly handlers: CommandTable;
  stopping = false;
  /** topologyVersion.counter of hello replies: bumped when the engine starts shutting down. */
  topologyCounter = 0;
  /** Client connections, kept by the wire server (serverStatus reports them). */
  readonly connections = { current: 0, totalCreated: 0 };
  private stopSignal: () => void = () => undefined;
  readonly stopped = new Promise<void>((resolve) => (this.stopSignal = resolve));

  constructor(readonly options: EngineOptions) {
    this.handlers = {
      ...serverInfoCommands(this),
      ...catalogCommands(this),
      ...sessionCommands(this),
      ...writeCommands(this),
      ...readCommands(this),
    };
    if (options.enableTestCommands) this.handlers.configureFailPoint = (_db, cmd) => this.failPoints.configure(cmd);
    const sweepEvery = Math.max(10, Math.min(1000, Math.floor((options.cursorTimeoutMs ?? CURSOR_TIMEOUT_MS) / 2)));
    this.timers.push(setInterval(() => this.sweep(), sweepEvery).unref());
    this.timers.push(setInterval(() => this.expireTtl(), options.ttlMonitorIntervalMs ?? 60_000).unref());
  }

  get logger(): Logger | undefined {
    return this.options.logger;
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  stop(): void {
    if (!this.stopping) this.topologyCounter++;
    this.stopping = true;
    // Releases writes waiting on open transactions, so nothing stays pending after shutdown.
    this.sessions.abortAll();
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

  currentTime(): Timestamp {
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
      if (HANDSHAKES.has(name)) conn.appName = handshakeAppName(cmd) ?? conn.appName;
      checkApiParameters(name, cmd);
      checkSessionFields(name, db, cmd);
      const fail = this.failPoints.take(name, conn.appName);
      if (fail) {
        if (fail.blockTimeMS > 0) await new Promise((r) => setTimeout(r, fail.blockTimeMS));
        if (fail.closeConnection) {
          conn.close();
          return {};
        }
        if (fail.errorCode !== undefined) throw failPointError(fail, name, cmd);
      }
      this.sessions.touch(cmd);
      checkReadConcern(name, cmd);
      if (cmd.autocommit === false) {
        checkTransactionStatement(name, cmd);
        if (!TRANSACTION_COMMANDS.has(name))
          throw new MongoCommandError(
            ErrorCode.OperationNotSupportedInTransaction,
            `Cannot run '${name}' in a multi-document transaction.`,
          );
        // Any command may open or continue a transaction (including ones that do not read or write through it).
        if (name !== 'commitTransaction' && name !== 'abortTransaction') this.sessions.transactionFor(cmd);
      } else if (
        isPlainObject(cmd.readConcern) &&
        cmd.readConcern.level === 'snapshot' &&
        NOT_SNAPSHOT_READS.has(name)
      ) {
        throw new MongoCommandError(
          ErrorCode.InvalidOptions,
          `Command ${name} does not support { readConcern: { level: "snapshot" } }`,
        );
      }
      if (runsByStatement(name, cmd, this.sessions, this.failPoints)) {
        const byStatement = await runByStatement(name, cmd, {
          sessions: this.sessions,
          failPoints: this.failPoints,
          runOne: async (single) => handler(db, single, conn),
        });
        if (!byStatement) {
          conn.close();
          return {};
        }
        reply = byStatement;
      } else reply = await handler(db, cmd, conn);
      if (WRITE_CONCERN_COMMANDS.has(name)) addWriteConcernError(reply, cmd.writeConcern);
      if (fail) addFailPointWriteConcernError(reply, fail, name, cmd);
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

  async persist(ops: LogOp[]): Promise<void> {
    if (ops.length === 0 || !this.options.persistence) return;
    await this.options.persistence.append(ops);
  }

  // ---- housekeeping ----------------------------------------------------------------------------------------

  private sweep(): void {
    try {
      const now = Date.now();
      const cursorTimeout = this.options.cursorTimeoutMs ?? CURSOR_TIMEOUT_MS;
      this.cursors.closeWhere((_ns, _session, lastUsed) => now - lastUsed > cursorTimeout);
      this.sessions.expire(now, this.options.transactionLifetimeMs ?? 60_000, SNAPSHOT_HISTORY_MS);
    } catch (err) {
      this.logger?.error('embedded-mongo: cursor/transaction sweep failed', { error: (err as Error).message });
    }
  }

  /** Removes documents whose TTL-indexed date field is older than expireAfterSeconds. */
  expireTtl(): void {
    try {
      const ops = expireTtlDocuments(this.catalog, Date.now());
      if (ops.length > 0) {
        this.tick();
        this.persist(ops).catch((err: unknown) =>
          this.logger?.error('embedded-mongo: TTL removals not journaled', { error: (err as Error).message }),
        );
      }
    } catch (err) {
      this.logger?.error('embedded-mongo: TTL monitor failed', { error: (err as Error).message });
    }
  }
}

const READ_CONCERN_LEVELS = new Set(['local', 'majority', 'linearizable', 'available', 'snapshot']);

/** readConcern as mongod parses it: a known level, and linearizable only where it can be honoured. */
function checkReadConcern(name: string, cmd: Doc): void {
  const rc = cmd.readConcern;
  if (rc === undefined) return;
  if (!isPlainObject(rc))
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      "BSON field 'readConcern' is the wrong type, expected type 'object'",
    );
  const level = rc.level;
  if (level === undefined) return;
  if (typeof level !== 'string' || !READ_CONCERN_LEVELS.has(level))
    throw new MongoCommandError(
      ErrorCode.FailedToParse,
      "readConcern.level must be either 'local', 'majority', 'linearizable', 'available', or 'snapshot'",
    );
  if (level !== 'linearizable') return;
  if (cmd.autocommit === false)
    throw new MongoCommandError(
      ErrorCode.InvalidOptions,
      'The readConcern level linearizable is not allowed in a transaction',
    );
  const pipeline = Array.isArray(cmd.pipeline) ? (cmd.pipeline as unknown[]) : [];
  if (name === 'aggregate' && pipeline.some((s) => isPlainObject(s) && ('$out' in s || '$merge' in s)))
    throw new MongoCommandError(
      ErrorCode.InvalidOptions,
      'readConcern level linearizable is not supported with $out or $merge',
    );
}

/**
 * A one-member replica set cannot satisfy `w` above 1 or a tag set it does not have: the write is applied and
 * the reply carries a writeConcernError, as mongod's does.
 */
function addWriteConcernError(reply: Doc, writeConcern: unknown): void {
  if (reply.ok !== 1 || !isPlainObject(writeConcern)) return;
  const w = writeConcern.w;
  let error: Doc | undefined;
  if (typeof w === 'number' && w > 1)
    error = {
      code: ErrorCode.UnsatisfiableWriteConcern,
      codeName: 'UnsatisfiableWriteConcern',
      errmsg: 'Not enough data-bearing nodes',
    };
  else if (typeof w === 'string' && w !== 'majority')
    error = {
      code: ErrorCode.UnknownReplWriteConcern,
      codeName: 'UnknownReplWriteConcern',
      errmsg: `No write concern mode named '${w}' found in replica set configuration`,
    };
  if (error)
    reply.writeConcernError = {
      ...error,
      errInfo: { writeConcern: { ...writeConcern, provenance: 'clientSupplied' } },
    };
}

export { defaultIndexName, errorReply, splitNs };

function handshakeAppName(cmd: Doc): string | undefined {
  const client = cmd.client;
  if (!isPlainObject(client) || !isPlainObject(client.application)) return undefined;
  return typeof client.application.name === 'string' ? client.application.name : undefined;
}
