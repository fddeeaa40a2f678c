import { runPipeline } from '../aggregate.js';
import { compareBson, keyString, rankOf } from '../bson-order.js';
import { effectiveCollation } from '../collation.js';
import { validateCollectionName } from '../catalog.js';
import { parseSort, type Collection } from '../collection.js';
import type { CommandTable, Engine } from '../engine.js';
import { asCommandError, ErrorCode, MongoCommandError } from '../errors.js';
import { evaluateLet, type EvalOptions } from '../mingo-context.js';
import { isPlainObject, pathValues, type Doc } from '../paths.js';
import { DirectAccess, Transaction, type Access } from '../transactions.js';
import { projectDocs } from '../write-commands.js';

/** The read commands (find, aggregate, count, distinct, explain) and the cursor verbs. */

const DIRECT_READ = new DirectAccess();

export function readCommands(engine: Engine): CommandTable {
  return {
    find: (db, cmd) => find(engine, db, cmd),
    aggregate: (db, cmd) => aggregate(engine, db, cmd),
    count: (db, cmd) => count(engine, db, cmd),
    distinct: (db, cmd) => distinct(engine, db, cmd),
    explain: (db, cmd) => explain(engine, db, cmd),
    getMore: (db, cmd) => engine.cursors.getMore(db, cmd),
    killCursors: (_db, cmd) => engine.cursors.killCursors(cmd),
  };
}

function readAccess(engine: Engine, cmd: Doc): Access {
  return engine.sessions.transactionFor(cmd) ?? DIRECT_READ;
}

/** The command's collation (or the collection's default) and its evaluated `let`. */
function evalOptions(cmd: Doc, coll: Collection | undefined): EvalOptions {
  return { collation: effectiveCollation(cmd.collation, coll?.defaultCollation), variables: evaluateLet(cmd.let) };
}

function find(engine: Engine, db: string, cmd: Doc): Doc {
  const ns = `${db}.${validateCollectionName(cmd.find)}`;
  const access = readAccess(engine, cmd);
  const coll = engine.catalog.get(ns);
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
  const evalOpts = evalOptions(cmd, coll);
  let docs = coll ? access.find(coll, filter, { sort: parseSort(cmd.sort), skip, limit, ...evalOpts }) : [];
  if (isPlainObject(cmd.projection) && Object.keys(cmd.projection).length > 0)
    docs = projectDocs(docs, cmd.projection, filter);
  return engine.cursors.reply(ns, docs, { batchSize: cmd.batchSize }, singleBatch, engine.sessions.sessionKey(cmd));
}

function aggregate(engine: Engine, db: string, cmd: Doc): Doc {
  const pipeline = cmd.pipeline;
  if (!Array.isArray(pipeline))
    throw new MongoCommandError(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
  if (!isPlainObject(cmd.cursor) && cmd.explain !== true) {
    throw new MongoCommandError(
      ErrorCode.FailedToParse,
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  const access = readAccess(engine, cmd);
  let input: Doc[] = [];
  let stages = pipeline as Doc[];
  let ns: string;
  let evalOpts = evalOptions(cmd, undefined);
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
    ns = `${db}.${validateCollectionName(cmd.aggregate)}`;
    const coll = engine.catalog.get(ns);
    evalOpts = evalOptions(cmd, coll);
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
        input = access.find(coll, match, { sort, limit, ...evalOpts });
        stages = stages.slice(consumed);
      } else {
        input = access.find(coll, {});
      }
    }
  }
  const resolve = (other: string): Doc[] => {
    const c = engine.catalog.get(`${db}.${other}`);
    return c ? access.find(c, {}) : [];
  };
  let docs: Doc[];
  try {
    docs = runPipeline(input, stages, resolve, evalOpts);
  } catch (err) {
    throw asCommandError(err);
  }
  return engine.cursors.reply(ns, docs, cmd.cursor, false, engine.sessions.sessionKey(cmd));
}

function count(engine: Engine, db: string, cmd: Doc): Doc {
  const ns = `${db}.${validateCollectionName(cmd.count)}`;
  const coll = engine.catalog.get(ns);
  if (!coll) return { n: 0, ok: 1 };
  const query = isPlainObject(cmd.query) ? cmd.query : {};
  const access = readAccess(engine, cmd);
  const skip = toNonNegative(cmd.skip, 'skip');
  const limit = Math.abs(Number(cmd.limit ?? 0));
  const evalOpts = evalOptions(cmd, coll);
  if (Object.keys(query).length === 0 && !(access instanceof Transaction)) {
    const n = Math.max(0, coll.docs.size - skip);
    return { n: limit > 0 ? Math.min(n, limit) : n, ok: 1 };
  }
  return { n: access.find(coll, query, { skip, limit, ...evalOpts }).length, ok: 1 };
}

function distinct(engine: Engine, db: string, cmd: Doc): Doc {
  const ns = `${db}.${validateCollectionName(cmd.distinct)}`;
  if (typeof cmd.key !== 'string')
    throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'distinct.key' is missing but a required field");
  const coll = engine.catalog.get(ns);
  if (!coll) return { values: [], ok: 1 };
  const query = isPlainObject(cmd.query) ? cmd.query : {};
  const evalOpts = evalOptions(cmd, coll);
  const collation = evalOpts.collation;
  const seen = new Map<string, unknown>();
  // Under a collation, strings that compare equal are one value (the first one met is kept).
  const strings: string[] = [];
  for (const doc of readAccess(engine, cmd).find(coll, query, evalOpts)) {
    for (const v of pathValues(doc, cmd.key)) {
      if (v === undefined) continue;
      if (collation && typeof v === 'string') {
        if (!strings.some((s) => rankOf(s) === rankOf(v) && compareBson(s, v, collation) === 0)) strings.push(v);
        continue;
      }
      const k = keyString(v);
      if (!seen.has(k)) seen.set(k, v);
    }
  }
  return { values: [...seen.values(), ...strings], ok: 1 };
}

function explain(engine: Engine, db: string, cmd: Doc): Doc {
  const inner = cmd.explain;
  if (!isPlainObject(inner)) throw new MongoCommandError(ErrorCode.BadValue, 'explain requires a command object');
  const verb = Object.keys(inner)[0];
  const ns = `${db}.${String(inner[verb])}`;
  const coll = engine.catalog.get(ns);
  const filter = (isPlainObject(inner.filter) ? inner.filter : isPlainObject(inner.query) ? inner.query : {}) as Doc;
  const sort = parseSort(inner.sort);
  const collation = effectiveCollation(inner.collation, coll?.defaultCollation);
  const plan = coll?.plan(filter, sort, collation);
  const idHack = coll && !collation && '_id' in filter && Object.keys(filter).length === 1;
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

export function toNonNegative(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new MongoCommandError(ErrorCode.BadValue, `${field} value must be non-negative, but received: ${String(v)}`);
  return n;
}
