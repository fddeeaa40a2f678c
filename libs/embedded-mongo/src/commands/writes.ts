import { validateCollectionName, validateDbName, type LogOp } from '../catalog.js';
import { Collection } from '../collection.js';
import type { CommandTable, Engine } from '../engine.js';
import { isPlainObject, type Doc } from '../paths.js';
import { BlockedByTransaction, DirectAccess, type Access } from '../transactions.js';
import { deleteCommand, findAndModifyCommand, insertCommand, updateCommand } from '../write-commands.js';
import { ensureCollection, viewNotCollection } from './catalog.js';

/** The write commands' envelope: sessions, retryable writes, implicit collection creation and durability. */

type WriteBody = (access: Access, coll: Collection, cmd: Doc) => Doc;

export function writeCommands(engine: Engine): CommandTable {
  const table: Record<string, WriteBody> = {
    insert: insertCommand,
    update: updateCommand,
    delete: deleteCommand,
    findAndModify: findAndModifyCommand,
    findandmodify: findAndModifyCommand,
  };
  return Object.fromEntries(
    Object.entries(table).map(([name, body]) => [name, (db: string, cmd: Doc) => write(engine, db, cmd, body)]),
  );
}

/**
 * Picks direct or transactional access, creates the collection on demand, answers retried retryable writes
 * from the previous reply, and waits for durability before replying.
 */
async function write(engine: Engine, db: string, cmd: Doc, body: WriteBody): Promise<Doc> {
  const field = Object.keys(cmd)[0];
  const name = validateCollectionName(cmd[field]);
  validateDbName(db);
  const sessions = engine.sessions;
  const txn = sessions.transactionFor(cmd);
  const sessionKey = sessions.sessionKey(cmd);
  const retryKey = !txn && sessionKey && cmd.txnNumber !== undefined ? sessionKey : undefined;
  if (retryKey) {
    const previous = sessions.retried(retryKey, cmd);
    if (previous) return previous;
    sessions.checkRetryableNumber(retryKey, cmd);
  }
  const catalogOps: LogOp[] = [];
  // Like mongod, only a write that may insert creates a missing collection; others see an empty one.
  const ns = `${db}.${name}`;
  const existing = engine.catalog.get(ns) ?? txn?.createdCollection(ns);
  // Inside a transaction an implicitly created collection stays the transaction's until commit.
  const create = (): Collection =>
    txn ? txn.createCollection(db, name) : ensureCollection(engine, db, name, catalogOps);
  const coll = existing ?? (mayInsert(cmd) ? create() : new Collection(db, name));
  if (coll.isView) throw viewNotCollection(ns);
  let access: Access = txn ?? new DirectAccess(sessions.claims);
  let reply: Doc;
  try {
    for (;;) {
      try {
        reply = body(access, coll, cmd);
        break;
      } catch (err) {
        if (!(err instanceof BlockedByTransaction)) throw err;
        // Nothing was applied yet: wait for the transaction holding the document, then run the command again.
        await err.transaction.ended;
        access = new DirectAccess(sessions.claims);
      }
    }
  } catch (err) {
    txn?.abort();
    throw err;
  } finally {
    const ops = [...catalogOps, ...(access instanceof DirectAccess ? access.ops : [])];
    if (ops.length > 0) {
      engine.tick();
      await engine.persist(ops);
    }
  }
  if (txn && (Array.isArray(reply.writeErrors) || reply.ok === 0)) txn.abort();
  if (retryKey) sessions.rememberRetryable(retryKey, cmd, reply);
  return reply;
}

function mayInsert(cmd: Doc): boolean {
  if ('insert' in cmd) return true;
  if ('update' in cmd)
    return Array.isArray(cmd.updates) && cmd.updates.some((u) => isPlainObject(u) && u.upsert === true);
  if ('findAndModify' in cmd || 'findandmodify' in cmd) return cmd.upsert === true;
  return false;
}
