import type { CommandTable, Engine } from '../engine.js';
import { UUID } from 'bson';
import { keyString } from '../bson-order.js';
import { ErrorCode, MongoCommandError } from '../errors.js';
import { bsonTypeName } from '../mingo-context.js';
import { isPlainObject, type Doc } from '../paths.js';
import { noSuchTransaction, transactionCommitted } from '../sessions.js';

/** startSession, endSessions, killSessions and the transaction verbs (commitTransaction, abortTransaction). */

export function sessionCommands(engine: Engine): CommandTable {
  return {
    startSession: () => startSession(engine),
    endSessions: (_db, cmd) => endSessions(engine, cmd),
    refreshSessions: (_db, cmd) => (sessionList(cmd, 'refreshSessions'), { ok: 1 }),
    killSessions: (_db, cmd) => killSessions(engine, cmd),
    killAllSessions: () => killAllSessions(engine),
    killAllSessionsByPattern: () => killAllSessions(engine),
    commitTransaction: (_db, cmd) => commitTransaction(engine, cmd),
    abortTransaction: (_db, cmd) => abortTransaction(engine, cmd),
  };
}

/** mongod's startSession: a new session id, known to the session cache (so $listLocalSessions lists it). */
function startSession(engine: Engine): Doc {
  const lsid = { id: new UUID() };
  engine.sessions.touch({ lsid });
  return { id: lsid, timeoutMinutes: 30, ok: 1 };
}

/** The session list a command names in its first field, which mongod's parser requires to be an array (14). */
function sessionList(cmd: Doc, field: string): unknown[] {
  const list = cmd[field];
  if (!Array.isArray(list))
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      `BSON field '${field}.${field}' is the wrong type '${bsonTypeName(list)}', expected type 'array'`,
    );
  return list;
}

/** Ends sessions: aborts their open transactions, forgets their retryable writes, closes their cursors. */
function endSessions(engine: Engine, cmd: Doc): Doc {
  const ids = sessionList(cmd, 'endSessions');
  for (const lsid of ids) {
    if (!isPlainObject(lsid)) continue;
    const key = keyString(lsid.id);
    engine.sessions.end(key);
    engine.cursors.closeWhere((_ns, sessionKey) => sessionKey === key);
  }
  return { ok: 1 };
}

/**
 * Kills sessions as mongod does: their open transactions are aborted (a later statement or commit answers
 * NoSuchTransaction) and their cursors closed; the sessions themselves stay known. Without auth every session is
 * the caller's, so killAllSessions (with any user list or pattern) kills them all, as for an administrator.
 */
function killSessions(engine: Engine, cmd: Doc): Doc {
  const ids = sessionList(cmd, 'killSessions');
  const keys = new Set(ids.filter(isPlainObject).map((lsid) => keyString(lsid.id)));
  for (const key of keys) engine.sessions.kill(key);
  engine.cursors.closeWhere((_ns, sessionKey) => sessionKey !== undefined && keys.has(sessionKey));
  return { ok: 1 };
}

function killAllSessions(engine: Engine): Doc {
  engine.sessions.abortAll();
  engine.cursors.closeWhere((_ns, sessionKey) => sessionKey !== undefined);
  return { ok: 1 };
}

async function commitTransaction(engine: Engine, cmd: Doc): Promise<Doc> {
  const txn = engine.sessions.named(cmd);
  if (txn.state === 'committed') return { ok: 1 };
  if (txn.state === 'aborted') throw noSuchTransaction(txn.txnNumber);
  const record = txn.commit(engine.catalog);
  engine.tick();
  if (record) await engine.persist([record]);
  return { ok: 1 };
}

function abortTransaction(engine: Engine, cmd: Doc): Doc {
  const txn = engine.sessions.named(cmd);
  if (txn.state === 'committed') throw transactionCommitted(txn.txnNumber);
  if (txn.state !== 'active') throw noSuchTransaction(txn.txnNumber);
  txn.abort();
  return { ok: 1 };
}
