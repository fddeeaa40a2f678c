import fc from 'fast-check';
import { newQuickJSWASMModule, type QuickJSContext } from 'quickjs-emscripten';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERRUPTIBLE_BUILTINS_SOURCE } from './interruptible-builtins.js';

/**
 * The JavaScript fallbacks of interruptible-builtins.ts against V8's built-ins: the same array-like (holes
 * included) and arguments give the same result and leave the receiver in the same state. Array-likes are not
 * genuine arrays, so inside QuickJS they always take the fallback.
 */

let ctx: QuickJSContext;
let dispose: () => void;

/** Builds the receiver, calls the method, and describes result and receiver (holes kept as holes). */
const HARNESS = `(function (method, lengthAndEntries, argsSource) {
  const [length, entries] = JSON.parse(lengthAndEntries);
  const o = { length };
  for (const [k, v] of entries) o[k] = v;
  const args = (0, eval)(argsSource);
  const snap = (v) => {
    if (v !== null && typeof v === 'object' && 'length' in v) {
      const keys = Object.keys(v).filter((k) => k !== 'length' && String(k >>> 0) === k).map(Number).sort((a, b) => a - b);
      return { length: v.length, entries: keys.map((k) => [k, v[k]]), array: Array.isArray(v) };
    }
    return v === undefined ? { undefined: true } : v;
  };
  let result;
  try { result = snap(Array.prototype[method].apply(o, args)); }
  catch (e) { result = { threw: e.constructor.name }; }
  return JSON.stringify({ result, receiver: snap(o) });
})`;

beforeAll(async () => {
  const quickjs = await newQuickJSWASMModule();
  const runtime = quickjs.newRuntime();
  ctx = runtime.newContext();
  for (const source of [`(${INTERRUPTIBLE_BUILTINS_SOURCE})()`, `globalThis.harness = ${HARNESS}`]) {
    const result = ctx.evalCode(source);
    if (result.error) throw new Error(JSON.stringify(ctx.dump(result.error)));
    result.value.dispose();
  }
  dispose = () => {
    ctx.dispose();
    runtime.dispose();
  };
});
afterAll(() => dispose());

function inQuickJS(method: string, length: number, entries: Array<[number, unknown]>, args: string): unknown {
  const call = `harness(${JSON.stringify(method)}, ${JSON.stringify(JSON.stringify([length, entries]))}, ${JSON.stringify(args)})`;
  const result = ctx.evalCode(call);
  if (result.error) throw new Error(JSON.stringify(ctx.dump(result.error)));
  const text = ctx.getString(result.value);
  result.value.dispose();
  return JSON.parse(text);
}

// The same harness, run by V8 on its own built-ins.
const inV8 = (0, eval)(HARNESS) as (method: string, lengthAndEntries: string, args: string) => string;

const value = fc.oneof(fc.integer({ min: -3, max: 9 }), fc.constantFrom('a', 'b', '10', ''), fc.constant(null));
const arrayLike = fc.integer({ min: 0, max: 12 }).chain((length) =>
  fc.tuple(
    fc.constant(length),
    fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: Math.max(0, length - 1) }), value), {
      maxLength: length,
      selector: ([k]) => k,
    }),
  ),
);
const index = fc.oneof(fc.integer({ min: -14, max: 14 }), fc.constantFrom('undefined', 'Infinity', '-Infinity', 'NaN'));

const PREDICATE = '(x, i) => (typeof x === "number" ? x % 2 === 0 : i % 2 === 0)';
const CASES: Array<[string, fc.Arbitrary<string>]> = [
  ['indexOf', fc.tuple(value, index).map(([v, i]) => `[${JSON.stringify(v)}, ${i}]`)],
  ['lastIndexOf', fc.tuple(value, index).map(([v, i]) => `[${JSON.stringify(v)}, ${i}]`)],
  ['includes', fc.tuple(value, index).map(([v, i]) => `[${JSON.stringify(v)}, ${i}]`)],
  ['join', fc.constantFrom('[]', '[","]', '["-"]', '[undefined]', '[""]')],
  ['reverse', fc.constant('[]')],
  ['shift', fc.constant('[]')],
  ['unshift', fc.constantFrom('[]', '[1]', '["x", null]')],
  ['copyWithin', fc.tuple(index, index, index).map(([a, b, c]) => `[${a}, ${b}, ${c}]`)],
  ['every', fc.constant(`[${PREDICATE}]`)],
  ['some', fc.constant(`[${PREDICATE}]`)],
  ['forEach', fc.constant(`[${PREDICATE}]`)],
  ['map', fc.constant('[(x, i) => [x, i]]')],
  ['filter', fc.constant(`[${PREDICATE}]`)],
  ['reduce', fc.constantFrom('[(a, x) => a + "," + x]', '[(a, x) => a + "," + x, "s"]')],
  ['reduceRight', fc.constantFrom('[(a, x) => a + "," + x]', '[(a, x) => a + "," + x, "s"]')],
  ['slice', fc.tuple(index, index).map(([a, b]) => `[${a}, ${b}]`)],
  ['splice', fc.tuple(index, index).map(([a, b]) => `[${a}, ${b}, "p", "q"]`)],
  ['sort', fc.constantFrom('[]', '[(a, b) => String(b).localeCompare(String(a))]')],
  ['flat', fc.constantFrom('[]', '[0]', '[Infinity]')],
  ['flatMap', fc.constant('[(x) => [x, [x]]]')],
  ['concat', fc.constantFrom('[]', '[[1, 2], 3]', '[{ length: 2, 0: "z", [Symbol.isConcatSpreadable]: true }]')],
];

describe('interruptible fallbacks behave like the built-ins', () => {
  it.each(CASES)('%s', (method, args) => {
    fc.assert(
      fc.property(arrayLike, args, ([length, entries], argsSource) => {
        const expected = JSON.parse(inV8(method, JSON.stringify([length, entries]), argsSource)) as unknown;
        expect(inQuickJS(method, length, entries, argsSource)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('stops at the deadline on a length no loop could finish', () => {
    const runtime = ctx.runtime;
    const deadline = Date.now() + 100;
    runtime.setInterruptHandler(() => Date.now() > deadline);
    const result = ctx.evalCode('Array.prototype.lastIndexOf.call({ length: 2 ** 53 - 1 }, 1)');
    runtime.removeInterruptHandler();
    expect(result.error && ctx.dump(result.error)).toMatchObject({ name: 'InternalError', message: 'interrupted' });
    result.dispose();
  });
});
