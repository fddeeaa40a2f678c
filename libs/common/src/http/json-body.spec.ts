import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { checkJsonShape, JSON_LIMITS, type JsonLimits, parseJsonBody } from './json-body.js';

const limits: JsonLimits = { maxDepth: 4, maxKeysPerObject: 3, maxKeys: 5, maxValues: 8 };

function refusalReason(text: string, l: JsonLimits = limits): unknown {
  try {
    parseJsonBody(text, l);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_ERROR');
    return (err as AppError).details.reason;
  }
  return null;
}

/** The same measures, taken the slow and obvious way on the parsed value. */
function measure(value: unknown, depth = 1): { depth: number; maxKeys: number; keys: number; values: number } {
  if (!value || typeof value !== 'object') return { depth: 0, maxKeys: 0, keys: 0, values: 0 };
  const children = Array.isArray(value) ? value : Object.values(value);
  const own = Array.isArray(value) ? 0 : children.length;
  const out = { depth, maxKeys: own, keys: own, values: Array.isArray(value) ? Math.max(0, children.length - 1) : own };
  for (const child of children) {
    const m = measure(child, depth + 1);
    out.depth = Math.max(out.depth, m.depth);
    out.maxKeys = Math.max(out.maxKeys, m.maxKeys);
    out.keys += m.keys;
    out.values += m.values;
  }
  return out;
}

describe('parseJsonBody', () => {
  it('parses JSON within the limits and treats an empty body as no body', () => {
    expect(parseJsonBody('{"a":[1,{"b":"}{[]\\"x"}]}', limits)).toEqual({ a: [1, { b: '}{[]"x' }] });
    expect(parseJsonBody('', limits)).toBeUndefined();
    expect(parseJsonBody(' \n', limits)).toBeUndefined();
    expect(parseJsonBody('["\\ud83d\\ude00"]', limits)).toEqual(['\u{1f600}']);
    expect(parseJsonBody('{"name":"a\\u0000b"}', limits)).toEqual({ name: 'a\u0000b' });
  });

  it.each([
    ['[[[[[]]]]]', 'body_too_deep'],
    ['{"a":{"b":{"c":{"d":{}}}}}', 'body_too_deep'],
    ['{"a":1,"b":2,"c":3,"d":4}', 'too_many_keys'],
    ['[{"a":1,"b":2},{"c":3,"d":4},{"e":5,"f":6}]', 'too_many_keys'],
    ['[1,2,3,4,5,6,7,8,9,10]', 'too_many_values'],
    ['{"a":', 'invalid_json'],
    ['{"a":"unterminated}', 'invalid_json'],
    ["{'a':1}", 'invalid_json'],
    ['{"__proto__":{"admin":true}}', 'forbidden_key'],
    ['{"a":[{"\\u005f_proto__":1}]}', 'forbidden_key'],
    ['{"constructor":{"prototype":{"x":1}}}', 'forbidden_key'],
    ['{"email":"\\ud800"}', 'invalid_unicode'],
    ['{"settings":{"x":{"default":{"a\\u0000b":1}}}}', 'forbidden_key'],
    ['["ok \\ud83d\\ude00", {"\\udc00": 1}]', 'invalid_unicode'],
  ])('refuses %s (%s)', (text, reason) => {
    expect(refusalReason(text)).toBe(reason);
  });

  it('does not count brackets, colons or commas inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: '[[[[[[[[[[', b: '\\"{:,:,:,}', c: 'x\\' });
    expect(refusalReason(text)).toBeNull();
  });

  it('refuses a 3,000-level nesting or 100,000 keys cheaply, with the default limits', () => {
    expect(refusalReason('['.repeat(3000) + ']'.repeat(3000), JSON_LIMITS)).toBe('body_too_deep');
    const flood = `{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":1`).join(',')}}`;
    expect(refusalReason(flood, JSON_LIMITS)).toBe('too_many_keys');
  });

  it('agrees with a measure of the parsed value on any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        const m = measure(value);
        const expected =
          m.depth > limits.maxDepth
            ? 'body_too_deep'
            : m.maxKeys > limits.maxKeysPerObject || m.keys > limits.maxKeys
              ? 'too_many_keys'
              : m.values > limits.maxValues
                ? 'too_many_values'
                : null;
        // The scan stops at the first limit it meets, in text order; any refusal must be a true one.
        const reason = checkJsonShape(text, limits)?.details.reason ?? null;
        if (expected === null) expect(reason).toBeNull();
        else expect(reason).not.toBeNull();
        if (reason === 'body_too_deep') expect(m.depth).toBeGreaterThan(limits.maxDepth);
      }),
    );
  });
});
