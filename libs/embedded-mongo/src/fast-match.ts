import type { Doc } from './paths.js';

/**
 * Native tests for the commonest top-level conditions of a filter, so a query that checks thousands of candidates
 * (a count over an index range, a search's substring test) does not pay the general matcher for each of them:
 *
 * - `{f: 's'}`, `{f: {$eq: 's'}}` with a string or boolean: the value, or an element of an array value, is it;
 * - `{f: {$in: ['s', …]}}` with strings only: the value, or an element of an array value, is one of them;
 * - `{f: {$all: ['s', …]}}` with strings only (at least one): an array value holds each of them;
 * - `{f: {$regex: 'p', $options: 'ims'}}` with a string pattern: the value, or an element, is a matching string.
 *
 * on a top-level field (no dotted path, not `_id`), without a collation: MongoDB's semantics for those exact shapes
 * (a missing field, null, numbers, objects and nested arrays never match them). Every other condition is left to
 * the general matcher; top-level conditions are a conjunction, so the two parts can be checked one after the other.
 * A value holding nested arrays is left to the general matcher too (a test then answers undefined).
 */
export interface FastSplit {
  /** The native tests, cheapest first; a test answers undefined for a document it cannot decide (nested arrays). */
  tests: Test[];
  /** The conditions left to the general matcher (possibly none). */
  rest: Doc;
}

type Scalar = string | boolean;
type Test = (doc: Doc) => boolean | undefined;

const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'boolean';
const allStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * The value or one element of an array value satisfies `test` (implicit array traversal); undefined when none does
 * but an element is itself an array, which the general matcher traverses by its own rules.
 */
function anyOf(value: unknown, test: (v: unknown) => boolean): boolean | undefined {
  if (!Array.isArray(value)) return test(value);
  let nested = false;
  for (const e of value) {
    if (test(e)) return true;
    if (Array.isArray(e)) nested = true;
  }
  return nested ? undefined : false;
}

/** A native test (and its cost rank) for one condition, or undefined when the general matcher must decide it. */
function fastTest(field: string, cond: unknown): [number, Test] | undefined {
  if (isScalar(cond)) return [0, (doc) => anyOf(doc[field], (v) => v === cond)];
  if (typeof cond !== 'object' || cond === null || Array.isArray(cond) || cond instanceof RegExp) return undefined;
  if (Object.getPrototypeOf(cond) !== Object.prototype) return undefined;
  const ops = Object.keys(cond);
  const c = cond as Doc;
  if (ops.length === 1 && ops[0] === '$eq' && isScalar(c.$eq)) {
    const want = c.$eq;
    return [0, (doc) => anyOf(doc[field], (v) => v === want)];
  }
  if (ops.length === 1 && ops[0] === '$in' && allStrings(c.$in)) {
    const set = new Set(c.$in);
    return [1, (doc) => anyOf(doc[field], (v) => typeof v === 'string' && set.has(v))];
  }
  if (ops.length === 1 && ops[0] === '$all' && allStrings(c.$all) && c.$all.length > 0) {
    const wanted = [...new Set(c.$all)];
    return [
      2,
      (doc) => {
        const v = doc[field];
        // A scalar value and nested arrays are the general matcher's to decide.
        if (!Array.isArray(v) || v.some(Array.isArray)) return undefined;
        return wanted.every((w) => v.includes(w));
      },
    ];
  }
  const regexOps = ops.every((op) => op === '$regex' || op === '$options') && ops.includes('$regex');
  if (regexOps && typeof c.$regex === 'string') {
    const options = c.$options === undefined ? '' : c.$options;
    if (typeof options !== 'string' || !/^[ims]*$/.test(options)) return undefined;
    const re = new RegExp(c.$regex, options);
    return [3, (doc) => anyOf(doc[field], (v) => typeof v === 'string' && re.test(v))];
  }
  return undefined;
}

/** Splits a filter into native tests and the rest; undefined when no condition has a native test. */
export function splitFastFilter(filter: Doc): FastSplit | undefined {
  const ranked: Array<[number, Test]> = [];
  const rest: Doc = {};
  for (const [field, cond] of Object.entries(filter)) {
    const test = field.startsWith('$') || field.includes('.') || field === '_id' ? undefined : fastTest(field, cond);
    if (test) ranked.push(test);
    else rest[field] = cond;
  }
  if (!ranked.length) return undefined;
  ranked.sort((a, b) => a[0] - b[0]);
  return { tests: ranked.map(([, t]) => t), rest };
}
