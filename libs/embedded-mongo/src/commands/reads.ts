import { performance } from 'node:perf_hooks';
import type { Timestamp } from 'bson';
import { checkPipeline, runPipeline } from '../aggregate.js';
import { compareBson, keyString, rankOf } from '../bson-order.js';
import { effectiveCollation } from '../collation.js';
import { validateCollectionName } from '../catalog.js';
import { checkHint, parseSort, type Collection } from '../collection.js';
import type { CommandTable, Engine } from '../engine.js';
import { asCommandError, belowZero, ErrorCode, MongoCommandError } from '../errors.js';
import { evaluateLet, type EvalOptions } from '../mingo-context.js';
import { isPlainObject, pathValues, type Doc } from '../paths.js';
import { compileProjection } from '../projection.js';
import { DirectAccess, Transaction, type Access } from '../transactions.js';
import { projectDocs } from '../write-commands.js';
import { checkOutputPlacement, isOutputStage, writeOutput } from './aggregate-output.js';
import { countWithoutDocuments } from './index-counts.js';

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

interface ReadContext {
  access: Access;
  /** Set for a snapshot read: the cluster time it read at, reported back as `atClusterTime`. */
  atClusterTime?: Timestamp;
  lookup(ns: string): Collection | undefined;
}

/** Where a read runs: its transaction, its snapshot session's pinned time, or the current data. */
function readContext(engine: Engine, cmd: Doc): ReadContext {
  const txn = engine.sessions.transactionFor(cmd);
  const lookup = (ns: string): Collection | undefined => engine.catalog.get(ns) ?? txn?.createdCollection(ns);
  if (txn) return { access: txn, lookup };
  const rc = cmd.readConcern;
  if (isPlainObject(rc) && rc.level === 'snapshot') {
    const { read, time } = engine.sessions.snapshotAt(rc.atClusterTime, engine.currentTime());
    return { access: read, atClusterTime: time, lookup };
  }
  return { access: DIRECT_READ, lookup };
}

/** A view resolved to the collection under it and the pipeline of every view on the way (outermost last). */
function resolveView(ctx: ReadContext, view: Collection): { source: Collection | undefined; pipeline: Doc[] } {
  let pipeline: Doc[] = [];
  let coll: Collection | undefined = view;
  for (let depth = 0; coll?.isView; depth++) {
    if (depth >= 20)
      throw new MongoCommandError(ErrorCode.ViewDepthLimitExceeded, `View depth too deep or view cycle detected`);
    pipeline = [...(coll.options.pipeline as Doc[]), ...pipeline];
    coll = ctx.lookup(`${coll.db}.${String(coll.options.viewOn)}`);
  }
  return { source: coll, pipeline };
}

/** Reads through a view: its pipeline, then the read's own filter, sort, skip and limit as stages. */
function readView(engine: Engine, ctx: ReadContext, view: Collection, stages: Doc[], evalOpts: EvalOptions): Doc[] {
  const { source, pipeline } = resolveView(ctx, view);
  const input = source ? ctx.access.find(source, {}) : [];
  const resolve = (other: string): Doc[] => {
    const c = ctx.lookup(`${view.db}.${other}`);
    return c && !c.isView ? ctx.access.find(c, {}) : [];
  };
  try {
    return runPipeline(input, [...pipeline, ...stages], resolve, evalOpts);
  } catch (err) {
    throw asCommandError(err);
  }
}

function findStages(filter: Doc, sort: unknown, skip: number, limit: number): Doc[] {
  const stages: Doc[] = [];
  if (Object.keys(filter).length > 0) stages.push({ $match: filter });
  if (isPlainObject(sort) && Object.keys(sort).length > 0) stages.push({ $sort: sort });
  if (skip > 0) stages.push({ $skip: skip });
  if (limit > 0) stages.push({ $limit: limit });
  return stages;
}

function withClusterTime(reply: Doc, ctx: ReadContext): Doc {
  if (ctx.atClusterTime && isPlainObject(reply.cursor)) reply.cursor.atClusterTime = ctx.atClusterTime;
  return reply;
}

/** The command's collation (or the collection's default) and its evaluated `let`. */
function evalOptions(cmd: Doc, coll: Collection | undefined): EvalOptions {
  return { collation: effectiveCollation(cmd.collation, coll?.defaultCollation), variables: evaluateLet(cmd.let) };
}

function find(engine: Engine, db: string, cmd: Doc): Doc {
  const ns = `${db}.${validateCollectionName(cmd.find)}`;
  const ctx = readContext(engine, cmd);
  const access = ctx.access;
  const coll = ctx.lookup(ns);
  const filter = cmd.filter === undefined ? {} : cmd.filter;
  if (!isPlainObject(filter))
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      "BSON field 'FindCommandRequest.filter' is the wrong type, expected type 'object'",
    );
  const skip = toNonNegative(cmd.skip, 'skip');
  // The find command takes no negative limit (the driver turns one into singleBatch before it sends the command).
  const limit = toNonNegative(cmd.limit, 'limit');
  const singleBatch = cmd.singleBatch === true;
  const evalOpts = evalOptions(cmd, coll);
  checkHint(coll, cmd.hint);
  let docs: Doc[];
  if (coll?.isView) docs = readView(engine, ctx, coll, findStages(filter, cmd.sort, skip, limit), evalOpts);
  else docs = coll ? access.find(coll, filter, { sort: parseSort(cmd.sort), skip, limit, ...evalOpts }) : [];
  if (isPlainObject(cmd.projection) && Object.keys(cmd.projection).length > 0)
    docs = projectDocs(docs, cmd.projection, filter);
  return withClusterTime(
    engine.cursors.reply(ns, docs, { batchSize: cmd.batchSize }, singleBatch, engine.sessions.sessionKey(cmd)),
    ctx,
  );
}

async function aggregate(engine: Engine, db: string, cmd: Doc): Promise<Doc> {
  const pipeline = cmd.pipeline;
  if (!Array.isArray(pipeline))
    throw new MongoCommandError(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
  checkPipeline(pipeline);
  checkOutputPlacement(pipeline as Doc[]);
  const last = pipeline[pipeline.length - 1] as unknown;
  const output = isOutputStage(last) ? (last as Doc) : undefined;
  if (output && cmd.autocommit === false) {
    throw new MongoCommandError(
      ErrorCode.OperationNotSupportedInTransaction,
      `${Object.keys(output)[0]} cannot be used in a transaction`,
    );
  }
  if (!isPlainObject(cmd.cursor) && cmd.explain !== true) {
    throw new MongoCommandError(
      ErrorCode.FailedToParse,
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  const ctx = readContext(engine, cmd);
  const access = ctx.access;
  let input: Doc[] = [];
  let inputIsCopy = false;
  let stages = (output ? pipeline.slice(0, -1) : pipeline) as Doc[];
  let ns: string;
  let evalOpts = evalOptions(cmd, undefined);
  if (cmd.aggregate === 1) {
    ns = `${db}.$cmd.aggregate`;
    const first = stages[0];
    if (first && isPlainObject(first) && Array.isArray(first.$documents)) {
      input = first.$documents as Doc[];
      stages = stages.slice(1);
    } else if (first && isPlainObject(first) && isPlainObject(first.$listLocalSessions)) {
      input = engine.sessions.localSessions();
      stages = stages.slice(1);
    } else {
      const stage = first && isPlainObject(first) ? (Object.keys(first)[0] ?? '') : '';
      throw new MongoCommandError(
        ErrorCode.InvalidNamespace,
        `{aggregate: 1} is not valid for '${stage}'; a collection is required.`,
      );
    }
  } else {
    ns = `${db}.${validateCollectionName(cmd.aggregate)}`;
    const coll = ctx.lookup(ns);
    evalOpts = evalOptions(cmd, coll);
    checkHint(coll, cmd.hint);
    if (coll?.isView) {
      const view = resolveView(ctx, coll);
      input = view.source ? access.find(view.source, {}) : [];
      stages = [...view.pipeline, ...stages];
    } else if (coll) {
      ({ input, stages, inputIsCopy } = collectionInput(access, coll, stages, evalOpts));
    }
  }
  const resolve = (other: string): Doc[] => {
    const c = ctx.lookup(`${db}.${other}`);
    return c ? access.find(c, {}) : [];
  };
  let docs: Doc[];
  try {
    docs = runPipeline(input, stages, resolve, evalOpts, inputIsCopy);
  } catch (err) {
    throw asCommandError(err);
  }
  if (output) {
    await writeOutput(engine, db, output, docs, evalOpts.variables);
    docs = [];
  }
  return withClusterTime(engine.cursors.reply(ns, docs, cmd.cursor, false, engine.sessions.sessionKey(cmd)), ctx);
}

interface PipelineInput {
  input: Doc[];
  stages: Doc[];
  /** The input documents were built for this run (the pipeline may write into them without copying). */
  inputIsCopy: boolean;
}

/**
 * What an aggregate over a collection starts from. A pipeline that only counts, over current data, is answered from
 * the collection's size or one index (no document read). Otherwise a leading $match (and $sort/$limit after it) is
 * answered by the planner, so it can use indexes, and a plain $project next is built straight from the stored
 * documents.
 */
function collectionInput(access: Access, coll: Collection, stages: Doc[], evalOpts: EvalOptions): PipelineInput {
  const counted =
    access === DIRECT_READ && !evalOpts.variables ? countWithoutDocuments(coll, stages, evalOpts.collation) : undefined;
  if (counted) return { input: counted, stages: [], inputIsCopy: true };
  let input: Doc[];
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
  const next = stages[0];
  const project =
    isPlainObject(next) && Object.keys(next).length === 1 && isPlainObject(next.$project)
      ? compileProjection(next.$project)
      : undefined;
  if (!project) return { input, stages, inputIsCopy: false };
  return { input: input.map(project), stages: stages.slice(1), inputIsCopy: true };
}

function count(engine: Engine, db: string, cmd: Doc): Doc {
  const ns = `${db}.${validateCollectionName(cmd.count)}`;
  const coll = engine.catalog.get(ns);
  if (!coll) return { n: 0, ok: 1 };
  const query = isPlainObject(cmd.query) ? cmd.query : {};
  const access = readContext(engine, cmd).access;
  const skip = toNonNegative(cmd.skip, 'skip');
  const limit = Math.abs(Number(cmd.limit ?? 0));
  const evalOpts = evalOptions(cmd, coll);
  checkHint(coll, cmd.hint);
  if (coll.isView)
    return {
      n: readView(engine, readContext(engine, cmd), coll, findStages(query, undefined, skip, limit), evalOpts).length,
      ok: 1,
    };
  const window = (total: number): Doc => {
    const n = Math.max(0, total - skip);
    return { n: limit > 0 ? Math.min(n, limit) : n, ok: 1 };
  };
  if (Object.keys(query).length === 0 && !(access instanceof Transaction)) return window(coll.docs.size);
  // Current data (no transaction or snapshot overlay): an index that answers the query exactly counts it alone.
  const covered =
    access === DIRECT_READ && !evalOpts.variables
      ? coll.countFromIndex(query, evalOpts.collation, limit > 0 ? skip + limit : Infinity)
      : undefined;
  if (covered) return window(covered.count);
  return { n: access.find(coll, query, { skip, limit, ...evalOpts }).length, ok: 1 };
}

function distinct(engine: Engine, db: string, cmd: Doc): Doc {
  const ns = `${db}.${validateCollectionName(cmd.distinct)}`;
  if (typeof cmd.key !== 'string')
    throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'distinct.key' is missing but a required field");
  const ctx = readContext(engine, cmd);
  const coll = ctx.lookup(ns);
  const reply = (values: unknown[]): Doc =>
    ctx.atClusterTime ? { values, atClusterTime: ctx.atClusterTime, ok: 1 } : { values, ok: 1 };
  if (!coll) return reply([]);
  const query = isPlainObject(cmd.query) ? cmd.query : {};
  const evalOpts = evalOptions(cmd, coll);
  const collation = evalOpts.collation;
  const seen = new Map<string, unknown>();
  // Under a collation, strings that compare equal are one value (the first one met is kept).
  const strings: string[] = [];
  const docs = coll.isView
    ? readView(engine, ctx, coll, findStages(query, undefined, 0, 0), evalOpts)
    : ctx.access.find(coll, query, evalOpts);
  for (const doc of docs) {
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
  // mongod collects the values in an ordered set: they come back in BSON order (under the collation).
  return reply([...seen.values(), ...strings].sort((a, b) => compareBson(a, b, collation)));
}

function explain(engine: Engine, db: string, cmd: Doc): Doc {
  const inner = cmd.explain;
  if (!isPlainObject(inner)) throw new MongoCommandError(ErrorCode.BadValue, 'explain requires a command object');
  const verb = Object.keys(inner)[0];
  const ns = `${db}.${String(inner[verb])}`;
  const coll = engine.catalog.get(ns);
  const filter = isPlainObject(inner.filter) ? inner.filter : isPlainObject(inner.query) ? inner.query : {};
  const sort = parseSort(inner.sort);
  const collation = effectiveCollation(inner.collation, coll?.defaultCollation);
  const plan = coll?.plan(filter, sort, collation);
  const idHack = coll && !collation && '_id' in filter && Object.keys(filter).length === 1;
  // Which index a count reads (stopping at the first match: only the plan is wanted).
  const counted = verb === 'count' && !coll?.isView ? coll?.countFromIndex(filter, collation, 1) : undefined;
  const access = counted
    ? {
        stage: 'COUNT',
        inputStage: {
          // Entries read and checked against bounds on later fields (a covered IXSCAN), or interval sizes alone.
          stage: counted.walked ? 'IXSCAN' : 'COUNT_SCAN',
          indexName: counted.index.name,
          keyPattern: counted.index.spec.key,
          isMultiKey: counted.index.multikey,
          multiKeyPaths: counted.index.multiKeyPaths(),
        },
      }
    : idHack
      ? { stage: 'IDHACK' }
      : plan
        ? {
            stage: 'FETCH',
            inputStage: {
              stage: plan.merge ? 'SORT_MERGE' : 'IXSCAN',
              indexName: plan.index.name,
              keyPattern: plan.index.spec.key,
              isMultiKey: plan.index.multikey,
              multiKeyPaths: plan.index.multiKeyPaths(),
              direction: plan.reverse ? 'backward' : 'forward',
            },
          }
        : { stage: 'COLLSCAN' };
  // A sort the access path does not give is a blocking SORT over all candidates, as mongod's. One the index gives by
  // its leading fields is no stage of its own: the FETCH says it sorts each run of ties on them (`partialSort`,
  // which mongod lacks; mongod would show a blocking SORT).
  const sortPattern = isPlainObject(inner.sort) ? inner.sort : undefined;
  let winningPlan: Doc = access;
  if (sort && sortPattern && !counted && !idHack && !plan?.sorted) {
    winningPlan =
      plan && plan.sortedPrefix > 0
        ? { ...access, partialSort: { sortPattern, sortedBy: Object.fromEntries(sort.slice(0, plan.sortedPrefix)) } }
        : { stage: 'SORT', sortPattern, inputStage: access };
  }
  const reply: Doc = { queryPlanner: { namespace: ns, winningPlan, rejectedPlans: [] }, ok: 1 };
  const executes = cmd.verbosity === 'executionStats' || cmd.verbosity === 'allPlansExecution';
  if (executes && coll && !coll.isView && (verb === 'find' || verb === 'count')) {
    reply.executionStats = executionStats(engine, db, inner, verb, coll, winningPlan);
  }
  return reply;
}

/**
 * mongod's explain `executionStats` for a find or a count: the query is run on the current data, and the index
 * entries and documents it read are the catalog's counters before and after (queryExecutor's scanned and
 * scannedObjects), so a sorted scan that stops at its limit shows it.
 */
function executionStats(
  engine: Engine,
  db: string,
  inner: Doc,
  verb: 'find' | 'count',
  coll: Collection,
  plan: Doc,
): Doc {
  const counters = engine.catalog.counters;
  const keys = counters.keysExamined;
  const docs = counters.docsExamined;
  const started = performance.now();
  let nReturned: number;
  if (verb === 'count') {
    nReturned = Number(count(engine, db, inner).n);
  } else {
    const filter = isPlainObject(inner.filter) ? inner.filter : {};
    nReturned = coll.find(filter, {
      ...evalOptions(inner, coll),
      sort: parseSort(inner.sort),
      skip: toNonNegative(inner.skip, 'skip'),
      limit: Math.abs(Number(inner.limit ?? 0)),
    }).length;
  }
  return {
    executionSuccess: true,
    nReturned,
    executionTimeMillis: Math.round(performance.now() - started),
    totalKeysExamined: counters.keysExamined - keys,
    totalDocsExamined: counters.docsExamined - docs,
    executionStages: { ...plan, nReturned },
  };
}

export function toNonNegative(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  const n = Number(v);
  if (Number.isNaN(n)) throw new MongoCommandError(ErrorCode.TypeMismatch, `BSON field '${field}' must be a number`);
  if (n < 0) throw belowZero(field, v);
  return n;
}
