import { BSON, ObjectId } from 'bson';
import { effectiveCollation } from './collation.js';
import { checkValidator } from './document-validation.js';
import { checkHint, parseSort, validateId, type Collection } from './collection.js';
import { asCommandError, ErrorCode, MongoCommandError } from './errors.js';
import { evaluateLet, mingoQuery, type EvalOptions } from './mingo-context.js';
import { cloneDoc, idFirst, isPlainObject, type Doc } from './paths.js';
import { checkProjection, compileProjection, orderProjected } from './projection.js';
import { BlockedByTransaction, type Access } from './transactions.js';
import { applyUpdate, upsertDocument, validateArrayFilters, validateUpdate } from './update.js';
import { MAX_BSON_OBJECT_SIZE } from './wire.js';

/**
 * The write commands (insert, update, delete, findAndModify) over an Access, which is either the collections
 * directly or a transaction. Per-statement failures become writeErrors; an ordered batch stops at the first.
 */

/**
 * Runs every statement of a write batch (`cmd[field]`). A statement that fails becomes a writeError and an
 * ordered batch stops there; failures that must abort the whole command are rethrown by writeError.
 */
function eachStatement(cmd: Doc, command: string, field: string, run: (stmt: unknown, index: number) => void): Doc[] {
  const statements = cmd[field];
  if (!Array.isArray(statements)) {
    throw new MongoCommandError(
      ErrorCode.FailedToParse,
      `BSON field '${command}.${field}' is missing but a required field`,
    );
  }
  const ordered = cmd.ordered !== false;
  const writeErrors: Doc[] = [];
  for (let i = 0; i < statements.length; i++) {
    try {
      run(statements[i], i);
    } catch (err) {
      writeErrors.push(writeError(i, err));
      if (ordered) break;
    }
  }
  return writeErrors;
}

/**
 * Fields of one update or delete statement as MongoDB 7.0 parses them; anything else is refused as mongod's
 * IDL parser does (so `sort` on updateOne/replaceOne, an 8.0 feature, fails here as on 7.0).
 */
const UPDATE_STATEMENT_FIELDS = new Set(['q', 'u', 'c', 'upsert', 'multi', 'arrayFilters', 'hint', 'collation']);
const DELETE_STATEMENT_FIELDS = new Set(['q', 'limit', 'hint', 'collation']);

function checkStatementFields(stmt: Doc, command: string, field: string, known: Set<string>): void {
  for (const k of Object.keys(stmt)) {
    if (!known.has(k))
      throw new MongoCommandError(
        ErrorCode.Location40415,
        `BSON field '${command}.${field}.${k}' is an unknown field.`,
      );
  }
}

/** What a statement's filter, sort and pipeline run under: its collation (or the collection's) and `let`. */
function evalOptions(coll: Collection, collation: unknown, variables: Doc | undefined): EvalOptions {
  return { collation: effectiveCollation(collation, coll.defaultCollation), variables };
}

/** mongod refuses an _id holding $-prefixed field names (they could never be queried). */
function checkIdField(id: unknown): void {
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (isPlainObject(v))
      for (const [k, x] of Object.entries(v)) {
        if (k.startsWith('$'))
          throw new MongoCommandError(
            ErrorCode.InvalidIdField,
            `_id fields may not contain '$'-prefixed fields: ${k} is not valid for storage.`,
          );
        visit(x);
      }
  };
  visit(id);
}

function writeReply(counts: Doc, writeErrors: Doc[]): Doc {
  const reply: Doc = { ...counts, ok: 1 };
  if (writeErrors.length) reply.writeErrors = writeErrors;
  return reply;
}

/** Inserts a new document (an insert or an upsert) after the checks mongod makes on one. */
function insertChecked(access: Access, coll: Collection, cmd: Doc, doc: Doc): void {
  validateId(doc._id);
  checkIdField(doc._id);
  checkDocSize(doc);
  checkValidator(coll, cmd, doc);
  access.insert(coll, doc);
}

export function insertCommand(access: Access, coll: Collection, cmd: Doc): Doc {
  let n = 0;
  const writeErrors = eachStatement(cmd, 'insert', 'documents', (raw) => {
    if (!isPlainObject(raw)) throw new MongoCommandError(ErrorCode.BadValue, 'document to insert must be an object');
    let doc = raw;
    if (!('_id' in doc)) doc = { _id: new ObjectId(), ...doc };
    else if (Object.keys(doc)[0] !== '_id') doc = { _id: doc._id, ...doc };
    insertChecked(access, coll, cmd, doc);
    n++;
  });
  return writeReply({ n }, writeErrors);
}

export function updateCommand(access: Access, coll: Collection, cmd: Doc): Doc {
  const upserted: Doc[] = [];
  let n = 0;
  let nModified = 0;
  const variables = evaluateLet(cmd.let);
  const writeErrors = eachStatement(cmd, 'update', 'updates', (stmt, i) => {
    if (!isPlainObject(stmt))
      throw new MongoCommandError(ErrorCode.FailedToParse, 'update statement must be an object');
    checkStatementFields(stmt, 'update', 'updates', UPDATE_STATEMENT_FIELDS);
    checkHint(coll, stmt.hint);
    const evalOpts = evalOptions(coll, stmt.collation, stmtVariables(variables, stmt.c));
    const q = isPlainObject(stmt.q) ? stmt.q : {};
    const u = validateUpdate(stmt.u);
    const arrayFilters = validateArrayFilters(u, stmt.arrayFilters);
    const multi = stmt.multi === true;
    if (multi && !Array.isArray(u) && Object.keys(u).length > 0 && !Object.keys(u)[0].startsWith('$')) {
      throw new MongoCommandError(
        ErrorCode.FailedToParse,
        'multi update is not supported for replacement-style update',
      );
    }
    // A statement that fails counts nothing, as in mongod (what a multi update changed before it failed stays).
    let matched = 0;
    let modified = 0;
    const matches = access.find(coll, q, { limit: multi ? 0 : 1, ...evalOpts });
    for (const doc of matches) {
      const next = applyUpdate(doc, u, { arrayFilters, query: q, eval: evalOpts });
      matched++;
      if (next) {
        checkDocSize(next);
        checkValidator(coll, cmd, next, doc);
        access.replace(coll, doc, next);
        modified++;
      }
    }
    if (matches.length === 0 && stmt.upsert === true) {
      const doc = upsertDocument(q, u, arrayFilters, evalOpts);
      insertChecked(access, coll, cmd, doc);
      upserted.push({ index: i, _id: doc._id });
      matched++;
    }
    n += matched;
    nModified += modified;
  });
  return writeReply(upserted.length ? { n, nModified, upserted } : { n, nModified }, writeErrors);
}

export function deleteCommand(access: Access, coll: Collection, cmd: Doc): Doc {
  let n = 0;
  const variables = evaluateLet(cmd.let);
  const writeErrors = eachStatement(cmd, 'delete', 'deletes', (stmt) => {
    if (!isPlainObject(stmt))
      throw new MongoCommandError(ErrorCode.FailedToParse, 'delete statement must be an object');
    checkStatementFields(stmt, 'delete', 'deletes', DELETE_STATEMENT_FIELDS);
    checkHint(coll, stmt.hint);
    const q = isPlainObject(stmt.q) ? stmt.q : {};
    const limit = Number(stmt.limit ?? 0);
    if (limit !== 0 && limit !== 1)
      throw new MongoCommandError(ErrorCode.FailedToParse, 'The limit field in delete objects must be 0 or 1');
    for (const doc of access.find(coll, q, { limit, ...evalOptions(coll, stmt.collation, variables) })) {
      access.remove(coll, doc);
      n++;
    }
  });
  return writeReply({ n }, writeErrors);
}

export function findAndModifyCommand(access: Access, coll: Collection, cmd: Doc): Doc {
  const query = isPlainObject(cmd.query) ? cmd.query : {};
  const sort = parseSort(cmd.sort);
  const evalOpts = evalOptions(coll, cmd.collation, evaluateLet(cmd.let));
  checkHint(coll, cmd.hint);
  const fields = isPlainObject(cmd.fields) && Object.keys(cmd.fields).length > 0 ? cmd.fields : undefined;
  const project = (d: Doc | null): Doc | null => (d && fields ? projectDocs([d], fields)[0] : d);
  const remove = cmd.remove === true;
  if (remove && cmd.update !== undefined)
    throw new MongoCommandError(ErrorCode.FailedToParse, 'Cannot specify both an update and remove=true');
  if (!remove && cmd.update === undefined)
    throw new MongoCommandError(ErrorCode.FailedToParse, 'Either an update or remove=true must be specified');
  if (remove && cmd.upsert === true)
    throw new MongoCommandError(ErrorCode.FailedToParse, 'Cannot specify both upsert=true and remove=true');
  if (remove && cmd.new === true)
    throw new MongoCommandError(
      ErrorCode.FailedToParse,
      "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
    );
  if (remove && cmd.arrayFilters !== undefined)
    throw new MongoCommandError(ErrorCode.FailedToParse, 'Cannot specify arrayFilters and remove=true');
  const [doc] = access.find(coll, query, { sort, limit: 1, ...evalOpts });
  if (remove) {
    if (doc) access.remove(coll, doc);
    return { lastErrorObject: { n: doc ? 1 : 0 }, value: project(doc ?? null), ok: 1 };
  }
  const u = validateUpdate(cmd.update);
  const arrayFilters = validateArrayFilters(u, cmd.arrayFilters);
  if (doc) {
    const next = applyUpdate(doc, u, { arrayFilters, query, eval: evalOpts });
    if (next) {
      checkDocSize(next);
      checkValidator(coll, cmd, next, doc);
      access.replace(coll, doc, next);
    }
    return {
      lastErrorObject: { n: 1, updatedExisting: true },
      value: project(cmd.new === true ? (next ?? doc) : doc),
      ok: 1,
    };
  }
  if (cmd.upsert === true) {
    const created = upsertDocument(query, u, arrayFilters, evalOpts);
    insertChecked(access, coll, cmd, created);
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: created._id },
      value: project(cmd.new === true ? created : null),
      ok: 1,
    };
  }
  return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
}

/** A statement's constants `c` (5.0+) join the command's `let`. */
function stmtVariables(variables: Doc | undefined, constants: unknown): Doc | undefined {
  if (!isPlainObject(constants)) return variables;
  return { ...variables, ...constants };
}

export function checkDocSize(doc: Doc): void {
  const size = BSON.calculateObjectSize(doc);
  if (size > MAX_BSON_OBJECT_SIZE) {
    throw new MongoCommandError(
      ErrorCode.BSONObjectTooLarge,
      `object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON_OBJECT_SIZE}`,
    );
  }
}

/** A find projection: plain ones copy only what they keep (projection.ts); the rest go through mingo over copies. */
export function projectDocs(docs: Doc[], projection: Doc, filter?: Doc): Doc[] {
  checkProjection(projection);
  const project = compileProjection(projection);
  return project ? docs.map(project) : projectThroughMingo(docs, projection, filter);
}

/** The general path: mingo's projection over a copy of each whole document. */
export function projectThroughMingo(docs: Doc[], projection: Doc, filter?: Doc): Doc[] {
  const positional = Object.keys(projection).some((k) => k.endsWith('.$'));
  try {
    const out = mingoQuery(positional && filter ? filter : {})
      .find(docs.map(cloneDoc), projection)
      .all()
      .map((d) => idFirst(d as Doc));
    return out.length === docs.length ? out.map((d, i) => orderProjected(d, docs[i], projection)) : out;
  } catch (err) {
    throw asCommandError(err);
  }
}

function writeError(index: number, err: unknown): Doc {
  if (err instanceof BlockedByTransaction) throw err;
  const e = asCommandError(err);
  // Transaction-level failures (WriteConflict) abort the whole command, as in mongod, so labels reach the driver.
  if (e.errorLabels.length > 0) throw e;
  return { index, code: e.code, codeName: e.codeName, errmsg: e.message, ...e.extra };
}
