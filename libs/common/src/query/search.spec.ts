import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containsIgnoreCase } from './search.js';

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
});
