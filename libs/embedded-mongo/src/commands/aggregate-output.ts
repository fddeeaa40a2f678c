import { ObjectId } from 'bson';
import { compareBson, keyString } from '../bson-order.js';
import { validateCollectionName, validateDbName, type LogOp } from '../catalog.js';
import { Collection } from '../collection.js';
import type { Engine } from '../engine.js';
import { ErrorCode, MongoCommandError } from '../errors.js';
import { evaluateLet } from '../mingo-context.js';
import { getPath, isPlainObject, type Doc } from '../paths.js';
import { DirectAccess } from '../transactions.js';
import { applyUpdate, validateUpdatePipeline } from '../update.js';
import { checkDocSize } from '../write-commands.js';
import { viewNotCollection } from './catalog.js';

/** The output stages of aggregate: `$out` (replace a collection) and `$merge` (fold results into one). */

export function isOutputStage(stage: unknown): boolean {
  return isPlainObject(stage) && ('$out' in stage || '$merge' in stage);
}

/** Refuses an output stage anywhere but last, as mongod does (40601). */
export function checkOutputPlacement(pipeline: Doc[]): void {
  pipeline.forEach((stage, i) => {
    if (isOutputStage(stage) && i !== pipeline.length - 1) {
      const name = Object.keys(stage)[0];
      throw new MongoCommandError(40601, `${name} can only be the final stage in the pipeline`);
    }
  });
}

function target(db: string, spec: unknown, field: string): { db: string; coll: string } {
  if (typeof spec === 'string') return { db, coll: validateCollectionName(spec) };
  if (isPlainObject(spec) && spec.timeseries !== undefined)
    throw new MongoCommandError(ErrorCode.InvalidOptions, `${field} into a time-series collection is not supported`);
  if (isPlainObject(spec) && typeof spec.coll === 'string')
    return {
      db: typeof spec.db === 'string' ? validateDbName(spec.db) : db,
      coll: validateCollectionName(spec.coll),
    };
  throw new MongoCommandError(ErrorCode.FailedToParse, `${field} must be a string or an object with 'coll'`);
}

/** Runs `{$out: …}` or `{$merge: …}` over the pipeline's results. */
export async function writeOutput(
  engine: Engine,
  db: string,
  stage: Doc,
  docs: Doc[],
  variables: Doc | undefined,
): Promise<void> {
  if ('$out' in stage) await out(engine, target(db, stage.$out, '$out'), docs);
  else await merge(engine, db, stage.$merge, docs, variables);
}

/**
 * Replaces the target's documents with the results, keeping its options and indexes; all or nothing: a
 * duplicate _id (or a unique index violated by the results) leaves the target as it was.
 */
async function out(engine: Engine, to: { db: string; coll: string }, docs: Doc[]): Promise<void> {
  const ns = `${to.db}.${to.coll}`;
  const old = engine.catalog.get(ns);
  if (old?.isView) throw viewNotCollection(ns);
  const next = new Collection(to.db, to.coll, { ...(old?.options ?? {}) });
  for (const index of old?.indexes.slice(1) ?? []) next.createIndex({ ...index.spec });
  const ops: LogOp[] = [];
  if (old) ops.push({ op: 'dc', ns });
  ops.push({ op: 'cc', ns, options: next.options, uuid: next.uuid });
  for (const index of next.indexes.slice(1)) ops.push({ op: 'ci', ns, spec: index.spec });
  for (const raw of docs) {
    const doc = '_id' in raw ? raw : { _id: new ObjectId(), ...raw };
    checkDocSize(doc);
    next.insert(doc);
    ops.push({ op: 'i', ns, doc });
  }
  if (old) engine.catalog.drop(ns);
  engine.catalog.register(next);
  engine.cursors.closeWhere((cursorNs) => cursorNs === ns);
  engine.tick();
  await engine.persist([{ op: 'txn', ops }]);
}

type WhenMatched = 'replace' | 'keepExisting' | 'merge' | 'fail' | Doc[];
type WhenNotMatched = 'insert' | 'discard' | 'fail';

/** `outer`: the aggregate command's `let`, visible to a whenMatched pipeline beside $merge's own `let`. */
async function merge(engine: Engine, db: string, raw: unknown, docs: Doc[], outer: Doc | undefined): Promise<void> {
  const spec: Doc = typeof raw === 'string' || (isPlainObject(raw) && !('into' in raw)) ? { into: raw } : (raw as Doc);
  if (!isPlainObject(spec)) throw new MongoCommandError(ErrorCode.FailedToParse, '$merge requires a string or object');
  const to = target(db, spec.into, '$merge.into');
  const on: string[] = [];
  if (spec.on === undefined) on.push('_id');
  else if (typeof spec.on === 'string') on.push(spec.on);
  else if (Array.isArray(spec.on) && spec.on.every((f) => typeof f === 'string')) on.push(...spec.on);
  else throw new MongoCommandError(51186, "$merge 'on' field must be either a string or an array of strings");
  const whenMatched = (spec.whenMatched ?? 'merge') as WhenMatched;
  const whenNotMatched = (spec.whenNotMatched ?? 'insert') as WhenNotMatched;
  if (!Array.isArray(whenMatched) && !['replace', 'keepExisting', 'merge', 'fail'].includes(whenMatched))
    throw new MongoCommandError(
      ErrorCode.BadValue,
      `Enumeration value '${String(whenMatched)}' for field 'whenMatched' is not a valid value.`,
    );
  if (Array.isArray(whenMatched)) validateUpdatePipeline(whenMatched);
  if (!['insert', 'discard', 'fail'].includes(whenNotMatched))
    throw new MongoCommandError(
      ErrorCode.BadValue,
      `Enumeration value '${String(whenNotMatched)}' for field 'whenNotMatched' is not a valid value.`,
    );
  const ns = `${to.db}.${to.coll}`;
  const ops: LogOp[] = [];
  let coll = engine.catalog.get(ns);
  if (coll?.isView) throw viewNotCollection(ns);
  if (!coll) {
    coll = engine.catalog.create(ns);
    ops.push({ op: 'cc', ns, options: {}, uuid: coll.uuid });
  }
  // Matching on fields other than _id needs a unique index over exactly them, so a match is one document.
  const onKey = keyString([...on].sort());
  if (
    !(on.length === 1 && on[0] === '_id') &&
    !coll.indexes.some((i) => i.unique && !i.partial && keyString([...i.fields].sort()) === onKey)
  )
    throw new MongoCommandError(51183, 'Cannot find index to verify that join fields will be unique');
  const variables = { ...outer, ...evaluateLet(spec.let) };
  const access = new DirectAccess();
  try {
    for (const result of docs) {
      const filter: Doc = {};
      for (const f of on) {
        const v = getPath(result, f);
        if (v === undefined || Array.isArray(v))
          throw new MongoCommandError(
            51132,
            `$merge write error: 'on' field '${f}' cannot be missing, null, undefined or an array`,
          );
        filter[f] = v;
      }
      const [existing] = access.find(coll, filter, { limit: 1 });
      if (!existing) {
        if (whenNotMatched === 'discard') continue;
        if (whenNotMatched === 'fail')
          throw new MongoCommandError(
            ErrorCode.MergeStageNoMatchingDocument,
            '$merge could not find a matching document in the target collection for at least one document in the source collection',
          );
        const doc = '_id' in result ? result : { _id: new ObjectId(), ...result };
        checkDocSize(doc);
        access.insert(coll, doc);
        continue;
      }
      let next: Doc | undefined;
      if (whenMatched === 'keepExisting') continue;
      if (whenMatched === 'fail') throw coll.indexes[0].duplicateKeyError([existing._id]);
      if (whenMatched === 'replace') {
        if ('_id' in result && compareBson(result._id, existing._id) !== 0)
          throw new MongoCommandError(
            ErrorCode.ImmutableField,
            '$merge failed to update the matching document, did you attempt to modify the _id or the shard key?',
          );
        next = { _id: existing._id, ...result };
      } else if (whenMatched === 'merge') {
        next = { ...existing, ...result, _id: existing._id };
      } else {
        next = applyUpdate(existing, whenMatched, { eval: { variables: { ...variables, new: result } } }) ?? existing;
      }
      checkDocSize(next);
      access.replace(coll, existing, next);
    }
  } finally {
    ops.push(...access.ops);
    if (ops.length > 0) {
      engine.tick();
      await engine.persist(ops);
    }
  }
}
