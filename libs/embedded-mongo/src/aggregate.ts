import { compareBson } from './bson-order.js';
import { parseSort, sortDocs, withoutComment } from './collection.js';
import { ErrorCode, MongoCommandError } from './errors.js';
import { mingoAggregator, PIPELINE_STAGES, type EvalOptions } from './mingo-context.js';
import { cloneDoc, idFirst, isPlainObject, type Doc } from './paths.js';
import { checkProjection, orderProjected } from './projection.js';

/**
 * Aggregation: mingo evaluates the pipeline, with these corrections for MongoDB compatibility:
 * `$sort` uses MongoDB's cross-type order, `$bucket` assigns boundary values to the bucket they open
 * (mingo puts a value equal to a boundary into the previous bucket), `$count` of nothing is no document, and
 * inputs are copied so stages that add fields can never write into stored documents.
 */

/** Stages the engine does not run ($out and $merge are run by the aggregate command before this). */
const UNSUPPORTED_STAGES = new Set([
  '$out',
  '$merge',
  '$changeStream',
  '$currentOp',
  '$listSessions',
  '$search',
  '$geoNear',
]);

const KNOWN_STAGES = new Set([...PIPELINE_STAGES, '$sort', '$bucket', '$facet', '$count']);

/** MongoDB 7.0's $group accumulators, less `$accumulator` (server-side JavaScript, which the engine lacks). */
const GROUP_ACCUMULATORS = new Set(
  (
    '$addToSet $avg $bottom $bottomN $count $first $firstN $last $lastN $max $maxN $median $mergeObjects ' +
    '$min $minN $percentile $push $stdDevPop $stdDevSamp $sum $top $topN'
  ).split(' '),
);

/** An unknown accumulator in a $group is 15952 in mongod (mingo would report it as an unknown expression). */
function checkGroupAccumulators(spec: unknown): void {
  if (!isPlainObject(spec)) return;
  for (const [field, acc] of Object.entries(spec)) {
    if (field === '_id' || !isPlainObject(acc)) continue;
    const [op] = Object.keys(acc);
    if (op !== undefined && op.startsWith('$') && !GROUP_ACCUMULATORS.has(op))
      throw new MongoCommandError(ErrorCode.Location15952, `unknown group operator '${op}'`);
  }
}

const NOT_A_STAGE: [number, string] = [ErrorCode.TypeMismatch, 'Each element of the pipeline must be an object'];

/** A pipeline stage's name: the one field of an object (40323 for more or none), else `notAnObject`. */
export function stageName(stage: unknown, notAnObject: [code: number, message: string]): string {
  if (!isPlainObject(stage)) throw new MongoCommandError(...notAnObject);
  const names = Object.keys(stage);
  if (names.length !== 1)
    throw new MongoCommandError(
      ErrorCode.Location40323,
      'A pipeline stage specification object must contain exactly one field.',
    );
  return names[0];
}

/** A stage's count argument as mongod parses it (a non-negative integral number), else `code`. */
function stageCount(stage: string, arg: unknown, code: number): number {
  if (typeof arg !== 'number' || Number.isNaN(arg))
    throw new MongoCommandError(
      code,
      `invalid argument to ${stage} stage: Expected a number in: ${stage}: ${String(arg)}`,
    );
  if (!Number.isInteger(arg))
    throw new MongoCommandError(code, `invalid argument to ${stage} stage: Expected an integer: ${stage}: ${arg}`);
  if (arg < 0)
    throw new MongoCommandError(
      code,
      `invalid argument to ${stage} stage: Expected a non-negative number in: ${stage}: ${arg}`,
    );
  return arg;
}

function checkUnwind(arg: unknown): void {
  let path = arg;
  if (isPlainObject(arg)) {
    if (!('path' in arg)) throw new MongoCommandError(28812, 'No path specified to $unwind stage');
    path = arg.path;
    if (typeof path !== 'string')
      throw new MongoCommandError(28808, `Expected a string as the path for $unwind stage, got ${typeof path}`);
  } else if (typeof arg !== 'string') {
    throw new MongoCommandError(
      15981,
      `expected either a string or an object as specification for $unwind stage, got ${typeof arg}`,
    );
  }
  if (typeof path === 'string' && (!path.startsWith('$') || path.length < 2))
    throw new MongoCommandError(28818, `path option to $unwind stage should be prefixed with a '$': ${path}`);
}

/** `$project`, `$addFields` and `$set` take an object of at least one field. */
function checkFieldsStage(name: string, arg: unknown): void {
  if (!isPlainObject(arg))
    throw new MongoCommandError(
      name === '$project' ? 15969 : 40272,
      `${name} specification must be an object, found ${typeof arg}`,
    );
  if (Object.keys(arg).length > 0) return;
  if (name === '$project')
    throw new MongoCommandError(
      51272,
      'Invalid $project :: caused by :: projection specification must have at least one field',
    );
  throw new MongoCommandError(40177, `Invalid ${name} :: caused by :: specification must have at least one field`);
}

/** `$unset` takes a field name or an array of them. */
function checkUnset(arg: unknown): void {
  if (typeof arg !== 'string' && !Array.isArray(arg))
    throw new MongoCommandError(31002, '$unset specification must be a string or an array');
  if (Array.isArray(arg) && !arg.every((f) => typeof f === 'string'))
    throw new MongoCommandError(
      31120,
      '$unset specification must be a string or an array containing only string values',
    );
}

/**
 * Checks a pipeline as mongod parses it, before any document is read (an empty or missing collection answers the
 * same errors): each stage one field, and the arguments of `$limit` (a positive integer), `$skip` (non-negative),
 * `$unwind` (a `$`-path), `$group` (an object with an `_id`, known accumulators), `$project`/`$addFields`/`$set`
 * (an object of one field or more, a projection of one kind), `$unset` (names) and `$facet`'s sub-pipelines.
 */
export function checkPipeline(pipeline: unknown[]): void {
  for (const stage of pipeline) {
    const name = stageName(stage, NOT_A_STAGE);
    const arg = (stage as Doc)[name];
    if (name === '$limit' && stageCount('$limit', arg, 5107201) === 0)
      throw new MongoCommandError(15958, 'the limit must be positive');
    if (name === '$skip') stageCount('$skip', arg, 5107200);
    if (name === '$unwind') checkUnwind(arg);
    if (name === '$group') {
      if (!isPlainObject(arg)) throw new MongoCommandError(15947, "a group's fields must be specified in an object");
      if (!('_id' in arg)) throw new MongoCommandError(15955, 'a group specification must include an _id');
      checkGroupAccumulators(arg);
    }
    if (name === '$project' || name === '$addFields' || name === '$set') checkFieldsStage(name, arg);
    if (name === '$project' && isPlainObject(arg)) checkProjection(arg);
    if (name === '$unset') checkUnset(arg);
    if (name === '$facet' && isPlainObject(arg))
      for (const sub of Object.values(arg)) if (Array.isArray(sub)) checkPipeline(sub);
  }
}

/**
 * Runs `pipeline` over `input`. `input` is copied first (stages may write into their documents) unless the caller
 * says it owns it (`inputIsCopy`: documents already built for this run, such as a leading projection's).
 */
export function runPipeline(
  input: Doc[],
  pipeline: Doc[],
  resolve: (collection: string) => Doc[],
  opts: EvalOptions = {},
  inputIsCopy = false,
): Doc[] {
  let docs: Doc[] = inputIsCopy ? input : input.map(cloneDoc);
  let pending: Doc[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const agg = mingoAggregator(pending, {
      ...opts,
      collectionResolver: (name: string) => resolve(name).map(cloneDoc),
    });
    docs = agg.run<Doc>(docs);
    pending = [];
  };
  for (const stage of pipeline) {
    const name = stageName(stage, NOT_A_STAGE);
    // Answered as a server without that stage answers: unrecognized stage (40324), never a different result.
    if (UNSUPPORTED_STAGES.has(name) || !KNOWN_STAGES.has(name))
      throw new MongoCommandError(ErrorCode.Location40324, `Unrecognized pipeline stage name: '${name}'`);
    if (name === '$sort') {
      flush();
      const spec = parseSort(stage.$sort);
      if (!spec) throw new MongoCommandError(ErrorCode.Location15976, '$sort stage must have at least one sort key');
      docs = sortDocs(docs, spec, opts.collation);
    } else if (name === '$project') {
      flush();
      const before = docs;
      pending.push(stage);
      flush();
      const spec = isPlainObject(stage.$project) ? stage.$project : {};
      docs = docs.map((d, i) => (before[i] ? orderProjected(idFirst(d), before[i], spec) : idFirst(d)));
    } else if (name === '$group') {
      checkGroupAccumulators(stage.$group);
      pending.push(stage);
    } else if (name === '$count') {
      flush();
      const field = countField(stage.$count);
      // As mongod ($group on a constant, then $project): no input, no document (mingo answered a count of 0).
      docs = docs.length > 0 ? [{ [field]: docs.length }] : [];
    } else if (name === '$bucket') {
      flush();
      docs = bucket(docs, stage.$bucket, resolve, opts);
    } else if (name === '$facet') {
      flush();
      const spec = stage.$facet;
      if (!isPlainObject(spec)) throw new MongoCommandError(ErrorCode.FailedToParse, '$facet must be an object');
      const out: Doc = {};
      for (const [field, sub] of Object.entries(spec)) {
        if (!Array.isArray(sub))
          throw new MongoCommandError(ErrorCode.FailedToParse, `$facet ${field} must be an array`);
        out[field] = runPipeline(docs, sub as Doc[], resolve, opts);
      }
      docs = [out];
    } else if (name === '$match' && isPlainObject(stage.$match)) {
      pending.push({ $match: withoutComment(stage.$match) });
    } else {
      pending.push(stage);
    }
  }
  flush();
  return docs;
}

/** The output field of a `$count` stage, checked with mongod's codes. */
function countField(spec: unknown): string {
  if (typeof spec !== 'string') throw new MongoCommandError(40156, 'the count field must be a non-empty string');
  if (spec === '') throw new MongoCommandError(40157, 'the count field must be a non-empty string');
  if (spec.startsWith('$')) throw new MongoCommandError(40158, 'the count field cannot be a $-prefixed path');
  if (spec.includes('.')) throw new MongoCommandError(40160, "the count field cannot contain '.'");
  return spec;
}

/** $bucket per MongoDB: bucket i holds boundaries[i] <= v < boundaries[i+1]; buckets come out in boundary order. */
function bucket(docs: Doc[], spec: unknown, resolve: (collection: string) => Doc[], opts: EvalOptions): Doc[] {
  if (!isPlainObject(spec)) throw new MongoCommandError(ErrorCode.FailedToParse, '$bucket requires an object');
  const { groupBy, boundaries, output } = spec;
  const hasDefault = 'default' in spec;
  if (!Array.isArray(boundaries) || boundaries.length < 2) {
    throw new MongoCommandError(
      ErrorCode.Location40192,
      "The $bucket 'boundaries' field must be an array of at least 2 values",
    );
  }
  for (let i = 1; i < boundaries.length; i++) {
    if (compareBson(boundaries[i - 1], boundaries[i]) >= 0) {
      throw new MongoCommandError(
        ErrorCode.Location40194,
        "The 'boundaries' option to $bucket must be sorted in ascending order",
      );
    }
  }
  // Evaluate groupBy with mingo, then assign buckets ourselves.
  const keyed = mingoAggregator([{ $project: { _id: 0, k: groupBy as never, d: '$$ROOT' } }], opts).run<{
    k: unknown;
    d: Doc;
  }>(docs);
  const groups = new Map<number, Doc[]>();
  for (const { k, d } of keyed) {
    let slot = -1;
    if (compareBson(k, boundaries[0]) >= 0 && compareBson(k, boundaries[boundaries.length - 1]) < 0) {
      let lo = 0;
      let hi = boundaries.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (compareBson(k, boundaries[mid]) >= 0) lo = mid;
        else hi = mid;
      }
      slot = lo;
    } else if (!hasDefault) {
      throw new MongoCommandError(
        ErrorCode.Location40066,
        '$switch could not find a matching branch for an input, and no default was specified.',
      );
    }
    const list = groups.get(slot) ?? [];
    list.push(d);
    groups.set(slot, list);
  }
  const accumulators = isPlainObject(output) ? output : { count: { $sum: 1 } };
  const result: Doc[] = [];
  const slots = [...groups.keys()].sort((a, b) => (a === -1 ? 1 : b === -1 ? -1 : a - b));
  for (const slot of slots) {
    const id: unknown = slot === -1 ? spec.default : boundaries[slot];
    const [row] = mingoAggregator([{ $group: { _id: null, ...accumulators } }], {
      ...opts,
      collectionResolver: (name: string) => resolve(name),
    }).run<Doc>(groups.get(slot) ?? []);
    result.push({ ...row, _id: id });
  }
  return result.map(({ _id, ...rest }) => ({ _id, ...rest }));
}
