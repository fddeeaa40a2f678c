import type { Catalog } from './catalog.js';
import { keyString } from './bson-order.js';
import { ErrorCode, MongoCommandError } from './errors.js';
import { isPlainObject, type Doc } from './paths.js';
import { Transaction } from './transactions.js';

/**
 * Logical sessions: the transaction each session has open, the document claims transactions hold, and the last
 * reply of each session's retryable write (so a retried write is answered, not applied twice).
 */
export class SessionRegistry {
  private readonly txns = new Map<string, Transaction>();
  /** `ns\0id` → the transaction that has written that document; plain writes to it wait. */
  readonly claims = new Map<string, Transaction>();
  private readonly lastRetryable = new Map<string, { txnNumber: number; reply: Doc }>();

  constructor(private readonly catalog: Catalog) {}

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

  /** The transaction `cmd` names for commit or abort (any state), or NoSuchTransaction. */
  named(cmd: Doc): Transaction {
    const key = this.sessionKey(cmd);
    const txnNumber = Number(cmd.txnNumber);
    const txn = key ? this.txns.get(key) : undefined;
    if (!txn || txn.txnNumber !== txnNumber) throw noSuchTransaction(txnNumber);
    return txn;
  }

  /** The stored reply when `cmd` retries the session's last retryable write. */
  retried(sessionKey: string, cmd: Doc): Doc | undefined {
    const prev = this.lastRetryable.get(sessionKey);
    if (prev && prev.txnNumber === Number(cmd.txnNumber)) return { ...prev.reply, retriedStmtIds: [] };
    return undefined;
  }

  rememberRetryable(sessionKey: string, cmd: Doc, reply: Doc): void {
    this.lastRetryable.set(sessionKey, { txnNumber: Number(cmd.txnNumber), reply });
  }

  /** Aborts the session's open transaction and forgets its retryable-write state. */
  end(key: string): void {
    const txn = this.txns.get(key);
    if (txn?.state === 'active') txn.abort();
    this.txns.delete(key);
    this.lastRetryable.delete(key);
  }

  abortAll(): void {
    for (const txn of this.txns.values()) if (txn.state === 'active') txn.abort();
  }

  /** Aborts transactions idle for longer than `lifetimeMs` (mongod's transactionLifetimeLimitSeconds). */
  expire(now: number, lifetimeMs: number): void {
    for (const txn of this.txns.values()) {
      if (txn.state === 'active' && now - txn.lastUsed > lifetimeMs) txn.abort();
    }
  }
}

export function noSuchTransaction(txnNumber: number): MongoCommandError {
  return new MongoCommandError(
    ErrorCode.NoSuchTransaction,
    `Transaction with { txnNumber: ${txnNumber} } has been aborted.`,
    {},
    ['TransientTransactionError'],
  );
}
