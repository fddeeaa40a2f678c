import type { Catalog } from './catalog.js';
import { keyString } from './bson-order.js';
import { ErrorCode, MongoCommandError } from './errors.js';
import { bsonTypeName } from './mingo-context.js';
import { isPlainObject, type Doc } from './paths.js';
import { Binary, Timestamp } from 'bson';
import { createHash } from 'node:crypto';
import { retriedStatementIds } from './statement-retry.js';
import { SnapshotRead, Transaction } from './transactions.js';

/**
 * Logical sessions: the transaction each session has open, the document claims transactions hold, and the last
 * reply of each session's retryable write (so a retried write is answered, not applied twice).
 */
const SESSION_TIMEOUT_MS = 30 * 60 * 1000;

export class SessionRegistry {
  private readonly txns = new Map<string, Transaction>();
  /** `ns\0id` → the transaction that has written that document; plain writes to it wait. */
  readonly claims = new Map<string, Transaction>();
  private readonly lastRetryable = new Map<string, { txnNumber: number; reply: Doc }>();
  /** The statements (by stmtId) of the session's latest retryable write that were applied, with their replies. */
  private readonly statements = new Map<string, { txnNumber: number; done: Map<number, Doc> }>();
  /** Sessions seen since they were last ended (what $listLocalSessions reports). */
  private readonly local = new Map<string, { id: unknown; lastUse: number }>();
  /** Cluster times that snapshot reads were pinned at ("t:i" → catalog sequence). */
  private readonly pins = new Map<string, { owner: object; read: SnapshotRead; lastUsed: number }>();

  constructor(private readonly catalog: Catalog) {}

  /** Records that a command used its session (mongod's logical session cache). */
  touch(cmd: Doc): void {
    const lsid = cmd.lsid;
    if (!isPlainObject(lsid) || lsid.id === undefined) return;
    this.local.set(keyString(lsid.id), { id: lsid.id, lastUse: Date.now() });
  }

  /** The documents `$listLocalSessions` yields: `{_id: {id, uid}, lastUse}` (uid: SHA-256 of no user). */
  localSessions(): Doc[] {
    const uid = new Binary(createHash('sha256').update('').digest());
    return [...this.local.values()].map((s) => ({ _id: { id: s.id, uid }, lastUse: new Date(s.lastUse) }));
  }

  /**
   * The snapshot a readConcern "snapshot" read runs at: `atClusterTime` when given (it must be a time this
   * engine pinned, or now), else now. Returns the read access and the cluster time to report.
   */
  snapshotAt(atClusterTime: unknown, now: Timestamp): { read: SnapshotRead; time: Timestamp } {
    const time = atClusterTime instanceof Timestamp ? atClusterTime : now;
    const key = `${time.high}:${time.low}`;
    let pin = this.pins.get(key);
    if (!pin) {
      if (time.lessThan(now))
        throw new MongoCommandError(
          ErrorCode.SnapshotTooOld,
          `Read timestamp Timestamp(${time.high}, ${time.low}) is older than the oldest available timestamp.`,
        );
      const owner = {};
      pin = { owner, read: new SnapshotRead(this.catalog, this.catalog.openSnapshot(owner)), lastUsed: 0 };
      this.pins.set(key, pin);
    }
    pin.lastUsed = Date.now();
    return { read: pin.read, time };
  }

  /** The session a command runs in (by `lsid.id`), or undefined for sessionless commands. */
  sessionKey(cmd: Doc): string | undefined {
    const lsid = cmd.lsid;
    if (!isPlainObject(lsid)) return undefined;
    return keyString(lsid.id);
  }

  /** The transaction a command belongs to, starting one when asked; undefined outside transactions. */
  transactionFor(cmd: Doc): Transaction | undefined {
    if (cmd.autocommit !== false) return undefined;
    const key = this.sessionKey(cmd);
    const txnNumber = Number(cmd.txnNumber);
    if (!key || !Number.isFinite(txnNumber)) {
      throw new MongoCommandError(ErrorCode.BadValue, 'autocommit:false requires lsid and txnNumber');
    }
    const current = this.txns.get(key);
    if (cmd.startTransaction === true) {
      // The engine registers the transaction before dispatch; the handler's own lookup must get the same one.
      if (current && current.txnNumber === txnNumber && current.state === 'active') return current;
      if (current && current.txnNumber > txnNumber) {
        throw new MongoCommandError(
          ErrorCode.TransactionTooOld,
          `txnNumber ${txnNumber} is less than last txnNumber ${current.txnNumber}`,
        );
      }
      // Only an aborted transaction's number may start again (mongod's restartable states).
      if (current && current.txnNumber === txnNumber && current.state === 'committed')
        throw new MongoCommandError(
          50911,
          `Cannot start a transaction at given transaction number ${txnNumber} a transaction with the same number is in state TxnState::Committed`,
        );
      if (current && current.state === 'active') current.abort();
      const txn = new Transaction(key, txnNumber, this.claims, this.catalog);
      this.txns.set(key, txn);
      return txn;
    }
    checkTxnNumber(current, txnNumber, key);
    if (current?.state === 'committed') throw transactionCommitted(txnNumber);
    if (!current || current.state !== 'active') throw noSuchTransaction(txnNumber);
    current.lastUsed = Date.now();
    return current;
  }

  /** The transaction `cmd` names for commit or abort (any state), or NoSuchTransaction / TransactionTooOld. */
  named(cmd: Doc): Transaction {
    const key = this.sessionKey(cmd);
    const txnNumber = Number(cmd.txnNumber);
    const txn = key ? this.txns.get(key) : undefined;
    checkTxnNumber(txn, txnNumber, key ?? '');
    if (!txn) throw noSuchTransaction(txnNumber);
    return txn;
  }

  /** The stored reply when `cmd` retries the session's last retryable write, with the stmtIds not applied again. */
  retried(sessionKey: string, cmd: Doc): Doc | undefined {
    const prev = this.lastRetryable.get(sessionKey);
    if (!prev || prev.txnNumber !== Number(cmd.txnNumber)) return undefined;
    const ids = retriedStatementIds(Object.keys(cmd)[0] ?? '', cmd, prev.reply);
    return ids ? { ...prev.reply, retriedStmtIds: ids } : { ...prev.reply };
  }

  /** Refuses a retryable write numbered below the session's latest write or transaction (mongod's 225). */
  checkRetryableNumber(sessionKey: string, cmd: Doc): void {
    const txnNumber = Number(cmd.txnNumber);
    const latest = Math.max(
      this.lastRetryable.get(sessionKey)?.txnNumber ?? -1,
      this.txns.get(sessionKey)?.txnNumber ?? -1,
    );
    if (txnNumber < latest)
      throw new MongoCommandError(
        ErrorCode.TransactionTooOld,
        `Retryable write with txnNumber ${txnNumber} is prohibited on session because a newer retryable write with txnNumber ${latest} has already started on this session.`,
      );
  }

  /**
   * Keeps the write's own reply: a copy, since the engine adds per-attempt fields to the reply it sends (a
   * write concern error, error labels, cluster time) that a retry must not be answered with.
   */
  rememberRetryable(sessionKey: string, cmd: Doc, reply: Doc): void {
    this.lastRetryable.set(sessionKey, { txnNumber: Number(cmd.txnNumber), reply: { ...reply } });
  }

  /**
   * The applied statements of the session's retryable write `txnNumber` (stmtId → the statement's own reply), or
   * undefined when none are known; `create` starts the record, dropping the one of an earlier txnNumber.
   */
  appliedStatements(sessionKey: string, txnNumber: number, create = false): Map<number, Doc> | undefined {
    const current = this.statements.get(sessionKey);
    if (current?.txnNumber === txnNumber) return current.done;
    if (!create) return undefined;
    const done = new Map<number, Doc>();
    this.statements.set(sessionKey, { txnNumber, done });
    return done;
  }

  /** Aborts the session's open transaction and forgets its retryable-write state. */
  end(key: string): void {
    this.local.delete(key);
    const txn = this.txns.get(key);
    if (txn?.state === 'active') txn.abort();
    this.txns.delete(key);
    this.lastRetryable.delete(key);
    this.statements.delete(key);
  }

  /** Aborts the session's open transaction (killSessions); the session and its retryable writes stay known. */
  kill(key: string): void {
    const txn = this.txns.get(key);
    if (txn?.state === 'active') txn.abort();
  }

  abortAll(): void {
    for (const txn of this.txns.values()) if (txn.state === 'active') txn.abort();
  }

  /**
   * Aborts transactions idle for longer than `lifetimeMs` (mongod's transactionLifetimeLimitSeconds) and
   * releases snapshot pins unused for `historyMs` (minSnapshotHistoryWindowInSeconds).
   */
  expire(now: number, lifetimeMs: number, historyMs: number): void {
    for (const txn of this.txns.values()) {
      if (txn.state === 'active' && now - txn.lastUsed > lifetimeMs) txn.abort();
    }
    // mongod forgets a session unused for logicalSessionTimeoutMinutes (30).
    for (const [key, session] of this.local) {
      if (now - session.lastUse > SESSION_TIMEOUT_MS) {
        this.local.delete(key);
        this.lastRetryable.delete(key);
        this.statements.delete(key);
        if (this.txns.get(key)?.state !== 'active') this.txns.delete(key);
      }
    }
    for (const [key, pin] of this.pins) {
      if (now - pin.lastUsed > historyMs) {
        this.catalog.releaseSnapshot(pin.owner);
        this.pins.delete(key);
      }
    }
  }
}

/** Commands that take a txnNumber outside a transaction: the retryable writes. */
const RETRYABLE_WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify']);
const TRANSACTION_READ_CONCERNS = new Set(['local', 'majority', 'snapshot']);

/**
 * The session fields of a command (lsid, txnNumber, autocommit, startTransaction) checked as mongod's
 * initializeOperationSessionInfo checks them (72 InvalidOptions), a txnNumber outside a transaction only on a
 * retryable write (50768), and commitTransaction / abortTransaction only on the admin database (13).
 */
export function checkSessionFields(name: string, db: string, cmd: Doc): void {
  const invalid = (message: string): MongoCommandError => new MongoCommandError(ErrorCode.InvalidOptions, message);
  const { txnNumber, autocommit, startTransaction } = cmd;
  checkSessionFieldTypes(cmd);
  if (txnNumber !== undefined) {
    if (cmd.lsid === undefined) throw invalid('Transaction number requires a session ID to also be specified');
    if (Number(txnNumber) < 0) throw invalid('Transaction number cannot be negative');
  } else if (autocommit !== undefined)
    throw invalid("'autocommit' field requires a transaction number to also be specified");
  if (autocommit !== undefined && autocommit !== false) throw invalid('Specifying autocommit=true is not allowed.');
  if (startTransaction !== undefined) {
    if (autocommit === undefined)
      throw invalid("'startTransaction' field requires 'autocommit' field to also be specified");
    if (startTransaction !== true) throw invalid('Specifying startTransaction=false is not allowed.');
  }
  if (txnNumber !== undefined && autocommit === undefined && !RETRYABLE_WRITE_COMMANDS.has(name))
    throw new MongoCommandError(
      50768,
      `txnNumber may only be provided for multi-document transactions and retryable write commands. autocommit:false was not provided, and ${name} is not a retryable write command.`,
    );
  if (ADMIN_ONLY.has(name) && db !== 'admin')
    throw new MongoCommandError(ErrorCode.Unauthorized, `${name} may only be run against the admin database.`);
}

/** Commands of this family mongod runs only on the admin database. */
const ADMIN_ONLY = new Set(['commitTransaction', 'abortTransaction', 'configureFailPoint']);

/** The types mongod's IDL parser requires of the session fields (14 TypeMismatch, 40414 for an lsid without id). */
function checkSessionFieldTypes(cmd: Doc): void {
  const wrongType = (field: string, expected: string): MongoCommandError =>
    new MongoCommandError(
      ErrorCode.TypeMismatch,
      `BSON field 'OperationSessionInfo.${field}' is the wrong type '${bsonTypeName(cmd[field])}', expected type '${expected}'`,
    );
  const { lsid, txnNumber, autocommit, startTransaction } = cmd;
  if (lsid !== undefined) {
    if (!isPlainObject(lsid)) throw wrongType('lsid', 'object');
    if (lsid.id === undefined)
      throw new MongoCommandError(
        ErrorCode.Location40414,
        "BSON field 'OperationSessionInfo.lsid.id' is missing but a required field",
      );
  }
  if (txnNumber !== undefined && !['int', 'long', 'double'].includes(bsonTypeName(txnNumber)))
    throw wrongType('txnNumber', 'long');
  if (autocommit !== undefined && typeof autocommit !== 'boolean') throw wrongType('autocommit', 'bool');
  if (startTransaction !== undefined && typeof startTransaction !== 'boolean')
    throw wrongType('startTransaction', 'bool');
}

/**
 * What a statement of a transaction may not carry, as mongod refuses it (72): a readConcern after the first
 * statement (or a level a transaction cannot read at on the first), a writeConcern before commit or abort.
 */
export function checkTransactionStatement(name: string, cmd: Doc): void {
  const rc = cmd.readConcern;
  const hasReadConcern = isPlainObject(rc) && Object.keys(rc).length > 0;
  if (cmd.startTransaction !== true && hasReadConcern)
    throw new MongoCommandError(
      ErrorCode.InvalidOptions,
      'Only the first command in a transaction may specify a readConcern',
    );
  if (hasReadConcern && typeof rc.level === 'string' && !TRANSACTION_READ_CONCERNS.has(rc.level))
    throw new MongoCommandError(
      ErrorCode.InvalidOptions,
      "The readConcern level must be either 'local' (default), 'majority' or 'snapshot' in order to run in a transaction",
    );
  if (cmd.writeConcern !== undefined && name !== 'commitTransaction' && name !== 'abortTransaction')
    throw new MongoCommandError(
      ErrorCode.InvalidOptions,
      'writeConcern is not allowed within a multi-statement transaction',
    );
}

/**
 * A transaction statement's txnNumber against the session's latest transaction, as mongod checks it: an older
 * number is TransactionTooOld (225), a newer one that does not start a transaction NoSuchTransaction.
 */
function checkTxnNumber(current: Transaction | undefined, txnNumber: number, key: string): void {
  if (!current) return;
  if (txnNumber < current.txnNumber)
    throw new MongoCommandError(
      ErrorCode.TransactionTooOld,
      `Cannot start transaction ${txnNumber} on session ${key} because a newer transaction ${current.txnNumber} has already started.`,
    );
  if (txnNumber > current.txnNumber) throw noSuchTransaction(txnNumber);
}

/** A committed transaction takes no further statement but a retried commitTransaction (mongod's 256). */
export function transactionCommitted(txnNumber: number): MongoCommandError {
  return new MongoCommandError(ErrorCode.TransactionCommitted, `Transaction ${txnNumber} has been committed.`);
}

export function noSuchTransaction(txnNumber: number): MongoCommandError {
  return new MongoCommandError(
    ErrorCode.NoSuchTransaction,
    `Transaction with { txnNumber: ${txnNumber} } has been aborted.`,
    {},
    ['TransientTransactionError'],
  );
}
