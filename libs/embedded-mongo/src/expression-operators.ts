import { calculateObjectSize, ObjectId } from 'bson';
import { evalExpr } from 'mingo/core';
import * as mingoExpressions from 'mingo/operators/expression';
import { unique } from 'mingo/util';
import { bsonType } from './bson-order.js';
import { ErrorCode, MongoCommandError } from './errors.js';
import { bsonTypeName } from './mingo-context.js';
import { isPlainObject } from './paths.js';

/**
 * Expression operators of MongoDB 7.0 that mingo lacks or runs only with server-side JavaScript, with mongod's
 * answers for null/missing input and its error codes.
 */

type Options = Parameters<typeof evalExpr>[2];
type ExpressionOp = (obj: unknown, expr: unknown, options: Options) => unknown;

const isNullish = (v: unknown): boolean => v === null || v === undefined;

/**
 * `$function` for mingo's own stages only: its `$setWindowFields` computes every output field through
 * `$function` with a closure of its own, which mingo's operator refuses unless server-side JavaScript is
 * enabled, so every window function failed. A body that is a native function can only come from mingo (BSON
 * decodes JavaScript as Code, never as a function); a client's `$function` is refused as before.
 */
const $function: ExpressionOp = (obj, expr, options) => {
  const spec = isPlainObject(expr) ? expr : undefined;
  const body = spec?.body;
  if (typeof body !== 'function')
    throw new MongoCommandError(ErrorCode.BadValue, "$function requires 'scriptEnabled' option to be true");
  const args = evalExpr(obj, spec?.args ?? [], options) as unknown[];
  return (body as (...a: unknown[]) => unknown)(...args);
};

function argList(name: string, expr: unknown, min: number, max: number): unknown[] {
  const args = Array.isArray(expr) ? expr : [expr];
  if (args.length < min || args.length > max)
    throw new MongoCommandError(
      16020,
      `Expression ${name} takes ${min === max ? `exactly ${min}` : `at least ${min} and at most ${max}`} arguments. ${args.length} were passed in.`,
    );
  return args;
}

function codePointIndex(name: string, value: unknown, code: number, which: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new MongoCommandError(
      code,
      `${name} ${which} index must resolve to a value that can be represented as a 32-bit integral value`,
    );
  if (value < 0) throw new MongoCommandError(code + 1, `${name} ${which} index must be positive`);
  return value;
}

/** `$indexOfCP`: the code-point index of the first occurrence of a substring in [start, end), or -1. */
const $indexOfCP: ExpressionOp = (obj, expr, options) => {
  const args = argList('$indexOfCP', expr, 2, 4);
  const [str, sub, start, end] = args.map((a) => evalExpr(obj, a, options));
  if (isNullish(str)) return null;
  if (typeof str !== 'string')
    throw new MongoCommandError(
      40093,
      `$indexOfCP requires a string as the first argument, found: ${bsonTypeName(str)}`,
    );
  if (typeof sub !== 'string')
    throw new MongoCommandError(
      40094,
      `$indexOfCP requires a string as the second argument, found: ${bsonTypeName(sub)}`,
    );
  const chars = Array.from(str);
  const subChars = Array.from(sub);
  const from = args.length > 2 ? codePointIndex('$indexOfCP', start, 40096, 'starting') : 0;
  const to =
    args.length > 3 ? Math.min(codePointIndex('$indexOfCP', end, 40098, 'ending'), chars.length) : chars.length;
  for (let i = from; i + subChars.length <= to; i++) {
    if (subChars.every((c, j) => chars[i + j] === c)) return i;
  }
  return -1;
};

/** `$toObjectId`: an ObjectId from itself or its 24 hex digits; null for null or missing. */
const $toObjectId: ExpressionOp = (obj, expr, options) => {
  const v = evalExpr(obj, expr, options);
  if (isNullish(v)) return null;
  if (v instanceof ObjectId) return v;
  if (typeof v !== 'string')
    throw new MongoCommandError(
      ErrorCode.ConversionFailure,
      `Unsupported conversion from ${bsonTypeName(v)} to objectId in $convert with no onError value`,
    );
  if (!/^[0-9a-fA-F]{24}$/.test(v))
    throw new MongoCommandError(
      ErrorCode.ConversionFailure,
      `Failed to parse objectId '${v}' in $convert with no onError value: Invalid string length for parsing to OID, expected 24 but found ${v.length}`,
    );
  return new ObjectId(v);
};

function timestampPart(name: string, part: 't' | 'i', code: number): ExpressionOp {
  return (obj, expr, options) => {
    const v = evalExpr(obj, expr, options);
    if (isNullish(v)) return null;
    if (bsonType(v) !== 'Timestamp')
      throw new MongoCommandError(code, `${name} expects argument of type timestamp, got ${bsonTypeName(v)}`);
    return (v as { t: number; i: number })[part];
  };
}

/** `$bsonSize`: the encoded size of a document in bytes. */
const $bsonSize: ExpressionOp = (obj, expr, options) => {
  const v = evalExpr(obj, expr, options);
  if (isNullish(v)) return null;
  if (!isPlainObject(v))
    throw new MongoCommandError(31393, `$bsonSize requires a document input, found: ${bsonTypeName(v)}`);
  return calculateObjectSize(v);
};

/** `$binarySize`: the size of a string (UTF-8) or binary value in bytes. */
const $binarySize: ExpressionOp = (obj, expr, options) => {
  const v = evalExpr(obj, expr, options);
  if (isNullish(v)) return null;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (bsonType(v) === 'Binary') return (v as { length(): number }).length();
  throw new MongoCommandError(51276, `$binarySize requires a string or BinData argument, found: ${bsonTypeName(v)}`);
};

const MINGO_EXPRESSIONS = mingoExpressions as unknown as Record<string, ExpressionOp>;

/** mongod's truth of an expression value: false, null, missing and 0 are false, anything else true. */
const truthy = (v: unknown): boolean => !(v === false || isNullish(v) || v === 0);

/** `$switch`: the first branch whose case is true; with none and no default, 40066 (mingo answered nothing). */
const $switch: ExpressionOp = (obj, expr, options) => {
  const spec = isPlainObject(expr) ? expr : {};
  for (const branch of Array.isArray(spec.branches) ? (spec.branches as unknown[]) : []) {
    const b = isPlainObject(branch) ? branch : {};
    if (truthy(evalExpr(obj, b.case, options))) return evalExpr(obj, b.then, options);
  }
  if (!('default' in spec))
    throw new MongoCommandError(
      ErrorCode.Location40066,
      '$switch could not find a matching branch for an input, and no default was specified.',
    );
  return evalExpr(obj, spec.default, options);
};

/** A numeric operator whose argument mongod refuses outside a domain, with its code; otherwise mingo's. */
function numericDomain(name: string, code: number, ok: (n: number) => boolean, what: string): ExpressionOp {
  return (obj, expr, options) => {
    const arg = evalExpr(obj, Array.isArray(expr) ? expr[0] : expr, options);
    if (typeof arg === 'number' && !Number.isNaN(arg) && !ok(arg))
      throw new MongoCommandError(code, `${name}'s argument must be ${what}, but is ${arg}`);
    return MINGO_EXPRESSIONS[name](obj, expr, options);
  };
}

/** `$mod` by zero is 16610 (mingo answered null). */
const $mod: ExpressionOp = (obj, expr, options) => {
  const args = Array.isArray(expr) ? evalExpr(obj, expr, options) : undefined;
  if (Array.isArray(args) && args[1] === 0 && typeof args[0] === 'number')
    throw new MongoCommandError(16610, "can't $mod by zero");
  return MINGO_EXPRESSIONS.$mod(obj, expr, options);
};

/** `$dateFromString` of a string that is no date: its `onError`, else 241 ConversionFailure (mingo answered nothing). */
const $dateFromString: ExpressionOp = (obj, expr, options) => {
  const out = MINGO_EXPRESSIONS.$dateFromString(obj, expr, options);
  if (out !== undefined || !isPlainObject(expr)) return out;
  const input = evalExpr(obj, expr.dateString, options);
  if (typeof input !== 'string') return out;
  if ('onError' in expr) return evalExpr(obj, expr.onError, options);
  throw new MongoCommandError(ErrorCode.ConversionFailure, `Error parsing date string '${input}'`);
};

const typeOf = (v: unknown): string => (v === undefined ? 'missing' : bsonTypeName(v));
const evalArgs = (obj: unknown, expr: unknown, options: Options): unknown[] => {
  const args = evalExpr(obj, expr, options);
  return Array.isArray(expr) && Array.isArray(args) ? args : [args];
};

/** Array and string operators refuse an operand of the wrong type with mongod's code (mingo's was 2). */
const $arrayElemAt: ExpressionOp = (obj, expr, options) => {
  const [array, index] = evalArgs(obj, expr, options);
  if (isNullish(array) || isNullish(index)) return null;
  if (!Array.isArray(array))
    throw new MongoCommandError(28689, `$arrayElemAt's first argument must be an array, but is ${typeOf(array)}`);
  return MINGO_EXPRESSIONS.$arrayElemAt(obj, expr, options);
};

const $concat: ExpressionOp = (obj, expr, options) => {
  const parts = evalArgs(obj, expr, options);
  if (parts.some(isNullish)) return null;
  const bad = parts.find((p) => typeof p !== 'string');
  if (bad !== undefined) throw new MongoCommandError(16702, `$concat only supports strings, not ${typeOf(bad)}`);
  return parts.join('');
};

const $size: ExpressionOp = (obj, expr, options) => {
  const [array] = evalArgs(obj, expr, options);
  if (!Array.isArray(array))
    throw new MongoCommandError(17124, `The argument to $size must be an array, but was of type: ${typeOf(array)}`);
  return array.length;
};

const $in: ExpressionOp = (obj, expr, options) => {
  const [, list] = evalArgs(obj, expr, options);
  if (!Array.isArray(list))
    throw new MongoCommandError(40081, `$in requires an array as a second argument, found: ${typeOf(list)}`);
  return MINGO_EXPRESSIONS.$in(obj, expr, options);
};

type AccumulatorOp = (collection: unknown[], expr: unknown, options: Options) => unknown;

/**
 * Evaluates `expr` for each document of a group as mingo's accumulators do (the options re-rooted per document),
 * keeping `undefined` for a missing value: mingo's `$push` turns it into null.
 */
function valuesOf(collection: unknown[], expr: unknown, options: Options): unknown[] {
  const init = (options as { constructor?: { init?: (o: Options) => { update(l: object): Options } } }).constructor
    ?.init;
  const base = typeof init === 'function' ? init.call(options.constructor, options) : undefined;
  return collection.map((root) => evalExpr(root, expr, base ? base.update({ root }) : options));
}

/** `$push`: the values of the group, a missing one left out (mongod's accumulator skips it; null is kept). */
const $push: AccumulatorOp = (collection, expr, options) =>
  valuesOf(collection, expr, options).filter((v) => v !== undefined);

/** `$addToSet`: the distinct values of the group, a missing one left out, as mongod. */
const $addToSet: AccumulatorOp = (collection, expr, options) => unique($push(collection, expr, options) as unknown[]);

/** Accumulators the engine runs in place of mingo's (`$group`, `$bucket` and window functions use them). */
export const ENGINE_ACCUMULATORS: Record<string, AccumulatorOp> = { $push, $addToSet };

export const ENGINE_EXPRESSION_OPERATORS: Record<string, ExpressionOp> = {
  $arrayElemAt,
  $concat,
  $size,
  $in,
  $switch,
  $mod,
  $dateFromString,
  $ln: numericDomain('$ln', 28766, (n) => n > 0, 'a positive number'),
  $log10: numericDomain('$log10', 28761, (n) => n > 0, 'a positive number'),
  $sqrt: numericDomain('$sqrt', 28714, (n) => n >= 0, 'greater than or equal to 0'),
  $function,
  $indexOfCP,
  $toObjectId,
  $tsSecond: timestampPart('$tsSecond', 't', 5687301),
  $tsIncrement: timestampPart('$tsIncrement', 'i', 5687302),
  $bsonSize,
  $binarySize,
};
