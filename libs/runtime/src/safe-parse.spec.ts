import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeParse } from './safe-parse.js';

/** JSON whose object keys are often the words prototype pollution goes through (fc.jsonValue draws them rarely). */
const jsonWithPollutingKeys = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 0 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype')), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

describe('safeParse', () => {
  it('drops __proto__ anywhere, spelled plainly or with escapes', () => {
    for (const text of [
      '{"__proto__": {"polluted": 1}, "a": 1}',
      '{"a": [{"__proto__": {"polluted": 1}}]}',
      '{"\\u005f\\u005fproto\\u005f\\u005f": {"polluted": 1}, "a": 1}',
    ]) {
      const value = safeParse(text) as Record<string, unknown>;
      expect(JSON.stringify(value)).not.toContain('polluted');
      expect(Object.assign({}, value)).not.toHaveProperty('polluted');
    }
  });

  it('drops prototype inside a constructor object, keeps the rest of it and other prototypes', () => {
    expect(safeParse('{"constructor": {"prototype": {"polluted": 1}, "name": "Ford"}}')).toEqual({
      constructor: { name: 'Ford' },
    });
    expect(safeParse('{"c\\u006fnstructor": {"pr\\u006ftotype": {"polluted": 1}}}')).toEqual({ constructor: {} });
    expect(safeParse('{"prototype": 1, "shape": {"prototype": "kept"}}')).toEqual({
      prototype: 1,
      shape: { prototype: 'kept' },
    });
  });

  it('is JSON.parse for any other text', () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((value) => !hasPollutingKey(value)),
        (value) => {
          const text = JSON.stringify(value);
          expect(safeParse(text)).toEqual(JSON.parse(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaves no __proto__ key and no constructor.prototype anywhere in what it returns, for any JSON', () => {
    fc.assert(
      fc.property(jsonWithPollutingKeys, (value) => {
        expect(hasPollutingKey(safeParse(JSON.stringify(value)))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

/** Whether any object in the value has an own `__proto__` key, or is a `constructor` object with an own `prototype`. */
function hasPollutingKey(value: unknown, key = ''): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (key === 'constructor' && Object.hasOwn(value, 'prototype')) return true;
  if (Array.isArray(value)) return value.some((item) => hasPollutingKey(item));
  return Object.keys(value).some(
    (name) => name === '__proto__' || hasPollutingKey((value as Record<string, unknown>)[name], name),
  );
}
