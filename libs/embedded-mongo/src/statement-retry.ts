import type { FailPoints } from './commands/fail-points.js';
import { MongoCommandError } from './errors.js';
import type { Doc } from './paths.js';
import type { SessionRegistry } from './sessions.js';

/** The batch field of each write command whose statements a retryable write numbers. */
const BATCH_FIELDS: Record<string, string> = { insert: 'documents', update: 'updates', delete: 'deletes' };

const FIND_AND_MODIFY = new Set(['findAndModify', 'findandmodify']);

/** Fields that make a command a retryable write; a single statement runs without them (as a plain write). */
const RETRY_FIELDS = ['lsid', 'txnNumber', 'stmtId', 'stmtIds'];

/** What a retryable write run by statement works with: the sessions, the fail points, and a plain write runner. */
export interface StatementContext {
  sessions: SessionRegistry;
  failPoints: FailPoints;
  /** Runs one statement as a plain write (without lsid and txnNumber). */
  runOne: (single: Doc) => Promise<Doc>;
}

/**
 * A retryable write run one statement at a time, as mongod applies and records them: each applied statement is
 * kept by its stmtId, so a retry of a command that was cut off (its connection closed after some statements)
 * applies only the statements that were not, and reports the kept ones as they were. The engine runs retryable
 * writes this way only while `onPrimaryTransactionalWrite` is set or a cut-off command awaits its retry (otherwise
 * a command finishes whole and its retry is answered from its reply). Returns undefined when the fail point
 * closed the connection.
 */
export async function runByStatement(name: string, cmd: Doc, ctx: StatementContext): Promise<Doc | undefined> {
  const { sessions, failPoints, runOne } = ctx;
  const field = BATCH_FIELDS[name];
  const key = sessions.sessionKey(cmd);
  const txnNumber = Number(cmd.txnNumber);
  const single = FIND_AND_MODIFY.has(name);
  if (!key || (!single && (!field || !Array.isArray(cmd[field])))) return runOne(cmd);
  const previous = sessions.retried(key, cmd);
  if (previous) return previous;
  sessions.checkRetryableNumber(key, cmd);
  const base: Doc = { ...cmd };
  for (const f of RETRY_FIELDS) delete base[f];
  if (single) return runSingleStatement(key, cmd, base, ctx);
  const statements = cmd[field] as unknown[];
  const done = sessions.appliedStatements(key, txnNumber, true) as Map<number, Doc>;
  const total: Doc = name === 'update' ? { n: 0, nModified: 0 } : { n: 0 };
  const upserted: Doc[] = [];
  const writeErrors: Doc[] = [];
  const retried: number[] = [];
  for (let i = 0; i < statements.length; i++) {
    const stmtId = statementId(cmd, i);
    let reply = done.get(stmtId);
    if (reply) retried.push(stmtId);
    else {
      const fail = failPoints.takeTransactionalWrite();
      if (fail?.failBeforeCommitExceptionCode !== undefined) {
        if (fail.closeConnection) return undefined;
        writeErrors.push({
          index: i,
          code: fail.failBeforeCommitExceptionCode,
          errmsg: 'Failing write for test before commit',
        });
        if (cmd.ordered !== false) break;
        continue;
      }
      reply = await runOne({ ...base, [field]: [statements[i]] });
      if (reply.ok !== 1) return reply;
      if (!Array.isArray(reply.writeErrors)) done.set(stmtId, reply);
      if (fail?.closeConnection) return undefined;
    }
    total.n = Number(total.n) + Number(reply.n ?? 0);
    if (name === 'update') total.nModified = Number(total.nModified) + Number(reply.nModified ?? 0);
    for (const u of (reply.upserted as Doc[] | undefined) ?? []) upserted.push({ index: i, _id: u._id });
    const errors = (reply.writeErrors as Doc[] | undefined) ?? [];
    for (const e of errors) writeErrors.push({ ...e, index: i });
    if (errors.length > 0 && cmd.ordered !== false) break;
  }
  const result: Doc = { ...total, ok: 1 };
  if (upserted.length > 0) result.upserted = upserted;
  if (writeErrors.length > 0) result.writeErrors = writeErrors;
  sessions.rememberRetryable(key, cmd, result);
  return retried.length > 0 ? { ...result, retriedStmtIds: retried } : result;
}

/** findAndModify, one statement: applied and remembered whole, then the connection closed if the fail point says. */
async function runSingleStatement(key: string, cmd: Doc, base: Doc, ctx: StatementContext): Promise<Doc | undefined> {
  const { sessions, failPoints, runOne } = ctx;
  const fail = failPoints.takeTransactionalWrite();
  if (fail?.failBeforeCommitExceptionCode !== undefined) {
    if (fail.closeConnection) return undefined;
    throw new MongoCommandError(fail.failBeforeCommitExceptionCode, 'Failing write for test before commit');
  }
  const reply = await runOne(base);
  if (reply.ok === 1) sessions.rememberRetryable(key, cmd, reply);
  return fail?.closeConnection ? undefined : reply;
}

/**
 * The stmtIds a retry of `cmd` answered from `reply` reports as `retriedStmtIds` (mongod lists the statements it
 * did not apply again: those the first attempt applied, not the ones that failed or that an ordered batch never
 * reached); undefined for findAndModify and when there are none.
 */
export function retriedStatementIds(name: string, cmd: Doc, reply: Doc): number[] | undefined {
  const field = BATCH_FIELDS[name];
  if (!field || !Array.isArray(cmd[field])) return undefined;
  const failed = new Set(((reply.writeErrors as Doc[] | undefined) ?? []).map((e) => Number(e.index)));
  const stop = cmd.ordered !== false && failed.size > 0 ? Math.min(...failed) : Infinity;
  const ids: number[] = [];
  for (let i = 0; i < (cmd[field] as unknown[]).length && i < stop; i++)
    if (!failed.has(i)) ids.push(statementId(cmd, i));
  return ids.length > 0 ? ids : undefined;
}

/** The stmtId of a command's i-th statement: `stmtIds[i]`, else `stmtId` (default 0) plus i, as mongod numbers them. */
function statementId(cmd: Doc, i: number): number {
  if (Array.isArray(cmd.stmtIds)) return Number(cmd.stmtIds[i]);
  return (typeof cmd.stmtId === 'number' ? cmd.stmtId : 0) + i;
}

/** Whether a write must run by statement: the fail point is set, or a cut-off command of this txnNumber awaits. */
export function runsByStatement(name: string, cmd: Doc, sessions: SessionRegistry, failPoints: FailPoints): boolean {
  if (
    !(Object.hasOwn(BATCH_FIELDS, name) || FIND_AND_MODIFY.has(name)) ||
    cmd.txnNumber === undefined ||
    cmd.autocommit !== undefined
  )
    return false;
  if (failPoints.catchesTransactionalWrites) return true;
  const key = sessions.sessionKey(cmd);
  return key !== undefined && sessions.appliedStatements(key, Number(cmd.txnNumber)) !== undefined;
}
