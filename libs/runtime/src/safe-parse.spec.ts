import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeParse } from './safe-parse.js';

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
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(safeParse(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });
});
