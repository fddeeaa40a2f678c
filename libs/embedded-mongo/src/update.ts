import { ObjectId } from 'bson';
import { checkPipeline, stageName } from './aggregate.js';
import { compareBson, rankOf, Rank } from './bson-order.js';
import { asCommandError, ErrorCode, MongoCommandError } from './errors.js';
import { MINGO_OPTIONS, mingoAggregator, mingoUpdate, type EvalOptions } from './mingo-context.js';
import { modifyNatively } from './fast-update.js';
import { cloneDoc, getPath, isPlainObject, setPath, type Doc } from './paths.js';

/** Update semantics: operator updates (via mingo), replacements, pipeline updates, and upsert seeding. */

const SUPPORTED_OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$rename',
  '$push',
  '$pull',
  '$pullAll',
  '$addToSet',
  '$pop',
  '$bit',
  '$currentDate',
  '$setOnInsert',
]);

export type UpdateSpec = Doc | Doc[];

export function isReplacement(u: UpdateSpec): boolean {
  if (Array.isArray(u)) return false;
  const keys = Object.keys(u);
  return keys.length === 0 || !keys[0].startsWith('$');
}

/** The stages mongod lets an update pipeline hold (the others are refused, not ignored). */
const UPDATE_PIPELINE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/** Checks an update pipeline (an update statement's, findAndModify's or `$merge`'s `whenMatched`) as mongod parses it. */
export function validateUpdatePipeline(stages: unknown[]): Doc[] {
  for (const stage of stages) {
    const name = stageName(stage, [ErrorCode.FailedToParse, 'Update pipeline stages must be objects']);
    if (!UPDATE_PIPELINE_STAGES.has(name))
      throw new MongoCommandError(ErrorCode.InvalidOptions, `${name} is not allowed to be used within an update`);
  }
  checkPipeline(stages);
  return stages as Doc[];
}

/** An update path as mongod's field checker takes it: not empty, no empty part (`a..b`, `a.`). */
function checkUpdatePath(path: string): void {
  if (path === '') throw new MongoCommandError(ErrorCode.EmptyFieldName, 'An empty update path is not valid.');
  if (path.split('.').includes(''))
    throw new MongoCommandError(
      ErrorCode.EmptyFieldName,
      `The update path '${path}' contains an empty field name, which is not allowed.`,
    );
}

function checkRename(fields: Doc): void {
  for (const [from, to] of Object.entries(fields)) {
    if (typeof to !== 'string')
      throw new MongoCommandError(
        ErrorCode.BadValue,
        `The 'to' field for $rename must be a string: ${from}: ${String(to)}`,
      );
    checkUpdatePath(to);
    if (from === to)
      throw new MongoCommandError(
        ErrorCode.BadValue,
        `The source and target field for $rename must differ: ${from}: "${to}"`,
      );
  }
}

export function validateUpdate(u: unknown): UpdateSpec {
  if (Array.isArray(u)) return validateUpdatePipeline(u);
  if (!isPlainObject(u))
    throw new MongoCommandError(ErrorCode.FailedToParse, 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length > 0 && ops.length !== keys.length) {
    const bad = keys.find((k) => !k.startsWith('$'));
    throw new MongoCommandError(
      ErrorCode.FailedToParse,
      `Unknown modifier: ${bad}. Expected a valid update modifier or pipeline-style update specified as an array`,
    );
  }
  for (const op of ops) {
    if (!SUPPORTED_OPERATORS.has(op))
      throw new MongoCommandError(
        ErrorCode.FailedToParse,
        `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    const fields = u[op];
    if (!isPlainObject(fields))
      throw new MongoCommandError(
        ErrorCode.FailedToParse,
        `Modifiers operate on fields but we found type ${typeof fields} instead.`,
      );
    for (const path of Object.keys(fields)) checkUpdatePath(path);
    if (op === '$rename') checkRename(fields);
  }
  // A replacement may hold dotted and (below the top level) $-prefixed field names, stored as they are (5.0+).
  return u;
}

/** The identifier an array filter binds: the first field of each of its paths, through `$and`/`$or`/`$nor`. */
function arrayFilterIdentifiers(filter: Doc, out: Set<string>): void {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (Array.isArray(value)) for (const sub of value) if (isPlainObject(sub)) arrayFilterIdentifiers(sub, out);
    } else if (!key.startsWith('$')) out.add(key.split('.')[0]);
  }
}

/**
 * Checks a statement's arrayFilters as mongod parses them, whether or not a document matches: each filter binds
 * one identifier (an alphanumeric name starting with a lowercase letter) that no other filter binds, every
 * `$[identifier]` of the update has its filter and every filter is used. Returns the filters, or undefined.
 */
export function validateArrayFilters(u: UpdateSpec, given: unknown): Doc[] | undefined {
  const raw = given ?? [];
  if (!Array.isArray(raw))
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      "BSON field 'arrayFilters' is the wrong type, expected type 'array'",
    );
  if (Array.isArray(u)) {
    if (given === undefined || given === null) return undefined;
    throw new MongoCommandError(
      ErrorCode.FailedToParse,
      'arrayFilters may not be specified for pipeline-style updates',
    );
  }
  const bound = new Set<string>();
  for (const filter of raw) {
    if (!isPlainObject(filter))
      throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'arrayFilters' must be an array of objects");
    const ids = new Set<string>();
    arrayFilterIdentifiers(filter, ids);
    const [id, other] = [...ids];
    if (id === undefined)
      throw new MongoCommandError(
        ErrorCode.FailedToParse,
        'Cannot use an expression without a top-level field name in arrayFilters',
      );
    if (other !== undefined)
      throw new MongoCommandError(
        ErrorCode.FailedToParse,
        `Error parsing array filter :: caused by :: Expected a single top-level field name, found '${id}' and '${other}'`,
      );
    if (!/^[a-z][a-zA-Z0-9]*$/.test(id))
      throw new MongoCommandError(
        ErrorCode.BadValue,
        `Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found '${id}'`,
      );
    if (bound.has(id))
      throw new MongoCommandError(
        ErrorCode.FailedToParse,
        `Found multiple array filters with the same top-level field name ${id}`,
      );
    bound.add(id);
  }
  if (isReplacement(u)) return given === undefined || given === null ? undefined : (raw as Doc[]);
  const used = new Set<string>();
  for (const fields of Object.values(u)) {
    if (!isPlainObject(fields)) continue;
    for (const path of Object.keys(fields)) {
      for (const [, id] of path.matchAll(/\$\[([^\]]+)\]/g)) {
        if (!bound.has(id))
          throw new MongoCommandError(
            ErrorCode.BadValue,
            `No array filter found for identifier '${id}' in path '${path}'`,
          );
        used.add(id);
      }
    }
  }
  for (const id of bound) {
    if (!used.has(id))
      throw new MongoCommandError(
        ErrorCode.FailedToParse,
        `The array filter for identifier '${id}' was not used in the update ${JSON.stringify(u)}`,
      );
  }
  return raw.length > 0 ? (raw as Doc[]) : undefined;
}

export interface ApplyOptions {
  arrayFilters?: Doc[];
  /** The query that selected the document (gives the positional `$` its meaning). */
  query?: Doc;
  /** True when the document is being created by an upsert ($setOnInsert applies). */
  inserting?: boolean;
  /** The command's `let` variables (pipeline updates) and collation. */
  eval?: EvalOptions;
}

/** Returns the updated copy of `doc`, or `undefined` when the update changes nothing. Never mutates `doc`. */
export function applyUpdate(doc: Doc, u: UpdateSpec, opts: ApplyOptions = {}): Doc | undefined {
  let next: Doc;
  if (Array.isArray(u)) {
    const out = mingoAggregator(u, opts.eval).run<Doc>([cloneDoc(doc)]);
    next = out[0] ?? {};
    if (!('_id' in next) && '_id' in doc) next = { _id: doc._id, ...next };
  } else if (isReplacement(u)) {
    if ('_id' in u && compareBson(u._id, doc._id) !== 0 && doc._id !== undefined) {
      throw new MongoCommandError(
        ErrorCode.ImmutableField,
        "After applying the update, the (immutable) field '_id' was found to have been altered to _id: " +
          String(u._id),
      );
    }
    const { _id: _ignored, ...rest } = u;
    next = doc._id !== undefined ? { _id: doc._id, ...cloneDoc(rest) } : cloneDoc(u);
  } else {
    const modifier: Doc = { ...u };
    const onInsert = modifier.$setOnInsert as Doc | undefined;
    delete modifier.$setOnInsert;
    if (opts.inserting && onInsert) modifier.$set = { ...(modifier.$set as Doc | undefined), ...onInsert };
    for (const [op, fields] of Object.entries(modifier)) {
      for (const path of Object.keys(fields as Doc)) {
        if (path === '_id' || path.startsWith('_id.')) {
          if (op === '$set' && compareBson((fields as Doc)[path], getPath(doc, path)) === 0) continue;
          if (!opts.inserting || op !== '$set') {
            throw new MongoCommandError(
              ErrorCode.ImmutableField,
              "Performing an update on the path '_id' would modify the immutable field '_id'",
            );
          }
        }
      }
      if (Object.keys(fields as Doc).length === 0) delete modifier[op];
    }
    checkOperandTypes(doc, modifier);
    checkPathsViable(doc, modifier);
    next = cloneDoc(doc);
    if (Object.keys(modifier).length === 0) return opts.inserting ? next : undefined;
    if (!opts.arrayFilters?.length && !usesPositional(modifier) && modifyNatively(next, modifier)) {
      return opts.inserting || compareBson(next, doc) !== 0 || !sameShape(next, doc) ? next : undefined;
    }
    let changed: string[];
    try {
      changed = mingoUpdate(
        next,
        modifier,
        opts.arrayFilters ?? [],
        usesPositional(modifier) ? opts.query : undefined,
        { cloneMode: 'copy', queryOptions: MINGO_OPTIONS },
      );
    } catch (err) {
      if (err instanceof MongoCommandError) throw err;
      const message = (err as Error).message;
      if (/conflict/i.test(message)) throw new MongoCommandError(ErrorCode.ConflictingUpdateOperators, message);
      throw asCommandError(err);
    }
    if (changed.length === 0 && !opts.inserting) return undefined;
  }
  if (!opts.inserting && compareBson(next, doc) === 0 && sameShape(next, doc)) return undefined;
  return next;
}

/** mingo silently skips arithmetic on non-numbers and pushes onto scalars; MongoDB rejects both. */
function checkOperandTypes(doc: Doc, modifier: Doc): void {
  for (const op of ['$inc', '$mul'] as const) {
    const fields = modifier[op] as Doc | undefined;
    if (!fields) continue;
    for (const [path, by] of Object.entries(fields)) {
      if (rankOf(by) !== Rank.Number) {
        throw new MongoCommandError(
          ErrorCode.TypeMismatch,
          `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${String(by)}}`,
        );
      }
      if (path.includes('$')) continue;
      const current = getPath(doc, path);
      if (current !== undefined && rankOf(current) !== Rank.Number) {
        throw new MongoCommandError(
          ErrorCode.TypeMismatch,
          `Cannot apply ${op} to a value of non-numeric type. {_id: ${String(doc._id)}} has the field '${path}' of non-numeric type ${typeof current}`,
        );
      }
    }
  }
  for (const op of ['$push', '$addToSet', '$pull', '$pullAll', '$pop'] as const) {
    const fields = modifier[op] as Doc | undefined;
    if (!fields) continue;
    for (const path of Object.keys(fields)) {
      if (path.includes('$')) continue;
      const current = getPath(doc, path);
      if (current !== undefined && current !== null && !Array.isArray(current)) {
        throw new MongoCommandError(
          ErrorCode.BadValue,
          `The field '${path}' must be an array but is of type ${typeof current} in document {_id: ${String(doc._id)}}`,
        );
      }
    }
  }
}

/** The operators that create the field they name (`$rename` creates its target). */
const CREATING_OPERATORS = ['$set', '$inc', '$mul', '$min', '$max', '$push', '$addToSet', '$currentDate', '$bit'];

/**
 * A field is created only inside a document, or at an index of an array: mongod refuses a path that goes through
 * a scalar, a null or a named field of an array (28 PathNotViable), where mingo leaves the document as it was.
 */
function checkPathsViable(doc: Doc, modifier: Doc): void {
  const targets = CREATING_OPERATORS.flatMap((op) => Object.keys((modifier[op] as Doc | undefined) ?? {}));
  targets.push(...Object.values((modifier.$rename as Doc | undefined) ?? {}).map(String));
  for (const path of targets) {
    if (path.includes('$')) continue;
    const parts = path.split('.');
    let at: unknown = doc;
    for (let i = 0; i < parts.length - 1; i++) {
      const next: unknown =
        Array.isArray(at) && /^\d+$/.test(parts[i])
          ? (at as unknown[])[Number(parts[i])]
          : isPlainObject(at)
            ? at[parts[i]]
            : undefined;
      if (next === undefined) break;
      if (!isPlainObject(next) && !(Array.isArray(next) && /^\d+$/.test(parts[i + 1]))) {
        throw new MongoCommandError(
          ErrorCode.PathNotViable,
          `Cannot create field '${parts[i + 1]}' in element {${parts[i]}: ${describeValue(next)}}`,
        );
      }
      at = next;
    }
  }
}

/** A value as an error message names it (mongod prints the element; the message is never asserted on). */
function describeValue(v: unknown): string {
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? JSON.stringify(v) : String(v);
  return Array.isArray(v) ? `[ ${v.length} elements ]` : `${(v as { _bsontype?: string })._bsontype ?? 'object'}`;
}

function usesPositional(modifier: Doc): boolean {
  return Object.values(modifier).some((fields) => Object.keys(fields as Doc).some((p) => /(^|\.)\$(\.|$)/.test(p)));
}

/** compareBson treats 1 and 1.0 as equal; that is the right "no-op" test except for key order, checked here. */
function sameShape(a: unknown, b: unknown): boolean {
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameShape(a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameShape(x, b[i]));
  return typeof a === typeof b;
}

/** The document an upsert starts from: equality fields of the query (MongoDB "seeds" the new document). */
export function seedFromQuery(query: Doc): Doc {
  const seed: Doc = {};
  const visit = (q: Doc): void => {
    for (const [k, v] of Object.entries(q)) {
      if (k === '$and' && Array.isArray(v)) {
        for (const sub of v) if (isPlainObject(sub)) visit(sub);
        continue;
      }
      if (k.startsWith('$')) continue;
      if (isPlainObject(v)) {
        const keys = Object.keys(v);
        if (keys.length > 0 && keys[0].startsWith('$')) {
          if (keys.length === 1 && keys[0] === '$eq') setPath(seed, k, cloneDoc(v.$eq));
          continue;
        }
      }
      if (v instanceof RegExp) continue;
      setPath(seed, k, cloneDoc(v));
    }
  };
  visit(query);
  return seed;
}

/** Builds the document an upsert inserts. `_id` comes first, as in MongoDB. */
export function upsertDocument(query: Doc, u: UpdateSpec, arrayFilters?: Doc[], evalOpts?: EvalOptions): Doc {
  let doc: Doc;
  if (!Array.isArray(u) && isReplacement(u)) {
    const seed = seedFromQuery(query);
    doc = cloneDoc(u);
    if (!('_id' in doc) && '_id' in seed) doc = { _id: seed._id, ...doc };
  } else {
    doc = applyUpdate(seedFromQuery(query), u, { inserting: true, arrayFilters, eval: evalOpts }) ?? {};
  }
  if (!('_id' in doc)) doc = { _id: new ObjectId(), ...doc };
  else if (Object.keys(doc)[0] !== '_id') {
    const { _id, ...rest } = doc;
    doc = { _id, ...rest };
  }
  return doc;
}
