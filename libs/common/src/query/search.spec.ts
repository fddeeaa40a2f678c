import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containsIgnoreCase, escapeRegex } from './search.js';

describe('containsIgnoreCase', () => {
  it('matches any text literally inside a longer string, ignoring case', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (before, needle, after) => {
        expect(containsIgnoreCase(needle).test(before + needle.toUpperCase() + after)).toBe(true);
      }),
    );
  });

  it('treats regex syntax as plain characters', () => {
    expect(containsIgnoreCase('a.c').test('abc')).toBe(false);
    expect(containsIgnoreCase('(x|y)*').test('(x|y)*!')).toBe(true);
  });

  it('never puts a NUL byte in the pattern (BSON cannot store it), yet matches one literally', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (before, needle) => {
        const text = `${needle}\0${needle}`;
        expect(escapeRegex(text)).not.toContain('\0');
        expect(containsIgnoreCase(text).test(before + text)).toBe(true);
      }),
    );
    expect(containsIgnoreCase('a\0b').test('ab')).toBe(false);
  });
});
