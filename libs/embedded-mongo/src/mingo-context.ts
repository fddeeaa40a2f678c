import { Aggregator } from 'mingo/aggregator';
import { Context } from 'mingo';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Query } from 'mingo/query';
import { update } from 'mingo/updater';
import { bsonType, compareBson, rankOf, Rank, toNumber } from './bson-order.js';
import type { Collation } from './collation.js';
import { ErrorCode, MongoCommandError } from './errors.js';
import { ENGINE_ACCUMULATORS, ENGINE_EXPRESSION_OPERATORS } from './expression-operators.js';
import { compileJsonSchema } from './json-schema.js';
import { isPlainObject, type Doc } from './paths.js';

/**
 * Operator overrides for mingo where its behaviour differs from MongoDB on BSON values.
 * `$type` in mingo does not recognise ObjectId, Binary, Timestamp and friends (they look like plain objects).
 */

const TYPE_ALIASES: Record<number, string> = {
  1: 'double',
  2: 'string',
  3: 'object',
  4: 'array',
  5: 'binData',
  6: 'undefined',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  10: 'null',
  11: 'regex',
  13: 'javascript',
  16: 'int',
  17: 'timestamp',
  18: 'long',
  19: 'decimal',
  [-1]: 'minKey',
  127: 'maxKey',
};

/** The BSON type name of a decoded value. Promoted numbers report int/long/double by their value. */
export function bsonTypeName(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (Number.isInteger(v) && !Object.is(v, -0)) return v >= -2147483648 && v <= 2147483647 ? 'int' : 'long';
    return 'double';
  }
  if (typeof v === 'bigint') return 'long';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  switch (bsonType(v)) {
    case 'ObjectId':
      return 'objectId';
    case 'Binary':
      return 'binData';
    case 'Timestamp':
      return 'timestamp';
    case 'Long':
      return 'long';
    case 'Int32':
      return 'int';
    case 'Double':
      return 'double';
    case 'Decimal128':
      return 'decimal';
    case 'BSONRegExp':
      return 'regex';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'Code':
      return 'javascript';
    case 'BSONSymbol':
      return 'symbol';
    case undefined:
    default:
      return 'object';
  }
}

function typeMatches(v: unknown, wanted: unknown): boolean {
  const name = typeof wanted === 'number' ? TYPE_ALIASES[wanted] : String(wanted);
  if (name === 'number') return rankOf(v) === Rank.Number;
  return bsonTypeName(v) === name;
}

/** Values at a path, expanding arrays on the way but keeping a leaf array itself (so 'array' can match). */
function leafValues(doc: unknown, parts: string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    out.push(doc);
    return;
  }
  if (Array.isArray(doc)) {
    if (/^\d+$/.test(parts[i])) leafValues(doc[Number(parts[i])], parts, i + 1, out);
    for (const el of doc) if (isPlainObject(el)) leafValues(el, parts, i, out);
    return;
  }
  if (isPlainObject(doc)) {
    if (parts[i] in doc) leafValues(doc[parts[i]], parts, i + 1, out);
  }
}

function $type(selector: string, value: unknown): (obj: Record<string, unknown>) => boolean {
  const wanted = Array.isArray(value) ? value : [value];
  const parts = selector.split('.');
  return (obj) => {
    const values: unknown[] = [];
    leafValues(obj, parts, 0, values);
    return values.some((v) =>
      wanted.some((t) => typeMatches(v, t) || (Array.isArray(v) && v.some((el) => typeMatches(el, t)))),
    );
  };
}

type Predicate = (obj: Record<string, unknown>) => boolean;
type QueryOp = (selector: string, value: unknown, options: unknown) => Predicate;
const baseEq = (queryOperators as unknown as Record<string, QueryOp>).$eq;
const baseNe = (queryOperators as unknown as Record<string, QueryOp>).$ne;

/** Embedded-document equality is field-order sensitive in MongoDB ({a,b} != {b,a}); mingo ignores order. */
function objectEquals(selector: string, value: Record<string, unknown>): Predicate {
  const parts = selector.split('.');
  return (obj) => {
    const values: unknown[] = [];
    leafValues(obj, parts, 0, values);
    return values.some(
      (v) =>
        compareBson(v, value) === 0 ||
        (Array.isArray(v) && v.some((el) => isPlainObject(el) && compareBson(el, value) === 0)),
    );
  };
}

function $eq(selector: string, value: unknown, options: unknown): Predicate {
  return isPlainObject(value) ? objectEquals(selector, value) : baseEq(selector, value, options);
}

function $ne(selector: string, value: unknown, options: unknown): Predicate {
  if (!isPlainObject(value)) return baseNe(selector, value, options);
  const eq = objectEquals(selector, value);
  return (obj) => !eq(obj);
}

/** Whether a query operand holds a string anywhere, i.e. whether a collation can change its meaning. */
function hasString(v: unknown): boolean {
  if (typeof v === 'string') return true;
  if (Array.isArray(v)) return v.some(hasString);
  if (isPlainObject(v)) return Object.values(v).some(hasString);
  return false;
}

/** A predicate true when the path reaches a value (or an array element) that passes `test`. */
function anyLeaf(selector: string, test: (v: unknown) => boolean): Predicate {
  const parts = selector.split('.');
  return (obj) => {
    const values: unknown[] = [];
    leafValues(obj, parts, 0, values);
    return values.some((v) => test(v) || (Array.isArray(v) && v.some(test)));
  };
}

/**
 * `$gt`, `$gte`, `$lt`, `$lte` with a number operand as mongod compares them: numbers only, and NaN is equal to
 * NaN and otherwise compares false (mingo's `$gte: 0` and `$lte: 0` accept NaN); other operands are mingo's.
 */
function numberRange(name: string, ok: (c: number) => boolean, nanEqual: boolean): QueryOp {
  const base = (queryOperators as unknown as Record<string, QueryOp>)[name];
  return (selector, value, options) => {
    if (rankOf(value) !== Rank.Number || Array.isArray(value)) return base(selector, value, options);
    const bound = toNumber(value);
    return anyLeaf(selector, (v) => {
      if (rankOf(v) !== Rank.Number || Array.isArray(v)) return false;
      const n = toNumber(v);
      if (Number.isNaN(n) || Number.isNaN(bound)) return nanEqual && Number.isNaN(n) && Number.isNaN(bound);
      return ok(compareBson(v, value));
    });
  };
}

const NUMBER_RANGES: Record<string, QueryOp> = {
  $gt: numberRange('$gt', (c) => c > 0, false),
  $gte: numberRange('$gte', (c) => c >= 0, true),
  $lt: numberRange('$lt', (c) => c < 0, false),
  $lte: numberRange('$lte', (c) => c <= 0, true),
};

const badValue = (message: string): MongoCommandError => new MongoCommandError(ErrorCode.BadValue, message);

/** A finite number stored in a document (mongod's `$mod` and bit tests see numbers only, never a numeric string). */
function finiteNumber(v: unknown): number | undefined {
  if (rankOf(v) !== Rank.Number || Array.isArray(v)) return undefined;
  const n = toNumber(v);
  return Number.isFinite(n) ? n : undefined;
}

/** `$mod: [divisor, remainder]` as mongod parses and tests it: numbers only, both operands and values truncated. */
const $mod: QueryOp = (selector, value) => {
  if (!Array.isArray(value)) throw badValue('malformed mod, needs to be an array');
  if (value.length < 2) throw badValue('malformed mod, not enough elements');
  if (value.length > 2) throw badValue('malformed mod, too many elements');
  const [divisor, remainder] = value.map((x: unknown) => finiteNumber(x));
  if (divisor === undefined) throw badValue('malformed mod, divisor not a number');
  if (remainder === undefined) throw badValue('malformed mod, remainder not a number');
  const d = Math.trunc(divisor);
  if (d === 0) throw badValue('divisor cannot be 0');
  const r = Math.trunc(remainder);
  return anyLeaf(selector, (v) => {
    const n = finiteNumber(v);
    return n !== undefined && Math.trunc(n) % d === r;
  });
};

/** The bit positions a bit test names: a non-negative integral mask, or an array of non-negative positions. */
function bitPositions(name: string, value: unknown): number[] | undefined {
  if (Array.isArray(value)) {
    if (!value.every((p) => Number.isInteger(p) && (p as number) >= 0))
      throw badValue(`bit positions must be an integer but got: ${name}: ${JSON.stringify(value)}`);
    return value as number[];
  }
  if (typeof value !== 'number') return undefined; // BinData masks: mingo's
  if (!Number.isInteger(value) || value < 0)
    throw badValue(`${name} mask must be a non-negative integer: ${String(value)}`);
  const out: number[] = [];
  for (let bit = 0, rest = BigInt(value); rest > 0n; bit++, rest >>= 1n) if (rest & 1n) out.push(bit);
  return out;
}

/** `$bitsAllSet`, `$bitsAnySet`, `$bitsAllClear`, `$bitsAnyClear` over integral numbers, two's complement (64 bits). */
function bitTest(name: string, all: boolean, set: boolean): QueryOp {
  const base = (queryOperators as unknown as Record<string, QueryOp>)[name];
  return (selector, value, options) => {
    const positions = bitPositions(name, value);
    if (!positions) return base(selector, value, options);
    return anyLeaf(selector, (v) => {
      const n = finiteNumber(v);
      if (n === undefined || !Number.isInteger(n)) return false;
      const word = BigInt.asUintN(64, BigInt(n));
      const isSet = (p: number): boolean => (p >= 64 ? n < 0 : ((word >> BigInt(p)) & 1n) === 1n);
      const hit = (p: number): boolean => isSet(p) === set;
      return all ? positions.every(hit) : positions.some(hit);
    });
  };
}

/** `$size` takes a non-negative whole number, else 2 BadValue, as mongod parses it (mingo matched nothing). */
const $size: QueryOp = (selector, value, options) => {
  const n = finiteNumber(value);
  if (n === undefined) throw badValue('$size needs a number');
  if (!Number.isInteger(n)) throw badValue('$size must be a whole number');
  if (n < 0) throw badValue('$size may not be negative');
  return (queryOperators as unknown as Record<string, QueryOp>).$size(selector, n, options);
};

const NUMBER_TESTS: Record<string, QueryOp> = {
  $mod,
  $size,
  $bitsAllSet: bitTest('$bitsAllSet', true, true),
  $bitsAnySet: bitTest('$bitsAnySet', false, true),
  $bitsAllClear: bitTest('$bitsAllClear', true, false),
  $bitsAnyClear: bitTest('$bitsAnyClear', false, false),
};

/**
 * Comparison operators under a collation: string operands compare through ICU, everything else as without one
 * (the base operators). Regular expressions are never collation-aware, as in MongoDB.
 */
function collatedOperators(collation: Collation): Record<string, QueryOp> {
  const base = { ...(queryOperators as unknown as Record<string, QueryOp>), ...NUMBER_RANGES };
  const equal = (v: unknown, value: unknown): boolean =>
    rankOf(v) === rankOf(value) && compareBson(v, value, collation) === 0;
  const eq = (selector: string, value: unknown): Predicate => anyLeaf(selector, (v) => equal(v, value));
  const inList = (selector: string, list: unknown[]): Predicate =>
    anyLeaf(selector, (v) =>
      list.some((x) => (x instanceof RegExp ? typeof v === 'string' && x.test(v) : equal(v, x))),
    );
  const range =
    (name: string, ok: (c: number) => boolean): QueryOp =>
    (selector, value, options) =>
      typeof value === 'string'
        ? anyLeaf(selector, (v) => typeof v === 'string' && ok(collation.compare(v, value)))
        : base[name](selector, value, options);
  return {
    $eq: (selector, value, options) => (hasString(value) ? eq(selector, value) : $eq(selector, value, options)),
    $ne: (selector, value, options) => {
      if (!hasString(value)) return $ne(selector, value, options);
      const p = eq(selector, value);
      return (obj) => !p(obj);
    },
    $in: (selector, value, options) =>
      Array.isArray(value) && hasString(value) ? inList(selector, value) : base.$in(selector, value, options),
    $nin: (selector, value, options) => {
      if (!Array.isArray(value) || !hasString(value)) return base.$nin(selector, value, options);
      const p = inList(selector, value);
      return (obj) => !p(obj);
    },
    $gt: range('$gt', (c) => c > 0),
    $gte: range('$gte', (c) => c >= 0),
    $lt: range('$lt', (c) => c < 0),
    $lte: range('$lte', (c) => c <= 0),
  };
}

/**
 * mingo's top-level helpers merge a caller's context *under* their defaults, so an override would lose;
 * the engine builds the whole operator context itself and uses mingo's base classes with it.
 */
function buildContext(collation?: Collation): Context {
  return Context.init({
    accumulator: { ...(accumulatorOperators as object), ...ENGINE_ACCUMULATORS },
    expression: { ...(expressionOperators as object), ...ENGINE_EXPRESSION_OPERATORS },
    pipeline: pipelineOperators,
    projection: projectionOperators,
    query: {
      ...(queryOperators as object),
      $type,
      $eq,
      $ne,
      ...NUMBER_RANGES,
      ...NUMBER_TESTS,
      ...(collation ? collatedOperators(collation) : {}),
    } as never,
    window: windowOperators,
  });
}

export const MINGO_CONTEXT = buildContext();
/** The pipeline stages mingo implements. */
export const PIPELINE_STAGES: readonly string[] = Object.keys(pipelineOperators);
const contexts = new Map<string, Context>();

function contextFor(collation?: Collation): Context {
  if (!collation) return MINGO_CONTEXT;
  let ctx = contexts.get(collation.key);
  if (!ctx) {
    ctx = buildContext(collation);
    contexts.set(collation.key, ctx);
  }
  return ctx;
}

// No server-side JavaScript ($where, $function, $accumulator): outside the portable subset, and a code-execution risk.
export const MINGO_OPTIONS = { context: MINGO_CONTEXT, scriptEnabled: false };

/** What a query or pipeline runs under: the command's collation and its `let` variables. */
export interface EvalOptions {
  collation?: Collation;
  variables?: Doc;
}

function optionsFor(
  opts: EvalOptions,
): typeof MINGO_OPTIONS & { variables?: Doc; jsonSchemaValidator: typeof compileJsonSchema } {
  return {
    ...MINGO_OPTIONS,
    context: contextFor(opts.collation),
    ...(opts.variables ? { variables: opts.variables } : {}),
    jsonSchemaValidator: compileJsonSchema,
  };
}

type Criteria = ConstructorParameters<typeof Query>[0];
type Pipeline = ConstructorParameters<typeof Aggregator>[0];

export function mingoQuery(filter: Criteria, opts: EvalOptions = {}): Query {
  return new Query(filter, optionsFor(opts));
}

export function mingoAggregator(
  pipeline: Pipeline,
  extra: EvalOptions & { collectionResolver?: (name: string) => Record<string, unknown>[] } = {},
): Aggregator {
  const { collation, variables, ...rest } = extra;
  return new Aggregator(pipeline, { ...optionsFor({ collation, variables }), ...rest });
}

export { update as mingoUpdate };

/**
 * A command's `let`: each value is an expression evaluated once, without a document ($$NOW and constants),
 * and then visible to the command's filters, pipelines and updates as `$$name`.
 */
export function evaluateLet(raw: unknown): Doc | undefined {
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw))
    throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'let' is the wrong type, expected type 'object'");
  for (const name of Object.keys(raw)) {
    // Same rule as mongod: user variables start with a lower-case letter (or a non-ASCII character).
    if (!/^[a-z\u0080-\uffff]/.test(name))
      throw new MongoCommandError(16870, `'${name}' starts with an invalid character for a user variable name`);
  }
  const [values] = mingoAggregator([{ $replaceWith: raw }] as never).run<Doc>([{}]);
  return values ?? {};
}
