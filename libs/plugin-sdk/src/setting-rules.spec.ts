import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfig } from './config.validator.js';
import type { SettingDefinition } from './manifest.types.js';
import { validateManifest } from './manifest.validator.js';
import { choiceEntries, choiceValues, matchesPattern, patternProblem } from './setting-rules.js';

const manifest = (settings: Record<string, unknown>) => ({
  key: 'plughub.hello',
  name: 'Hello',
  version: '1.0.0',
  description: 'Says hello',
  runtime: { type: 'sandbox', entry: 'runner.js' },
  settings,
});
const paths = (input: unknown) => {
  const result = validateManifest(input);
  return result.valid ? [] : result.errors.map((e) => e.path);
};

describe('choices with display names', () => {
  const region: SettingDefinition = {
    type: 'choice',
    choices: [{ value: 'eu', display_name: 'Europe' }, 'us', { value: 3, display_name: 'Three' }],
    default: 'eu',
  };

  it('a manifest may mix plain values and {value, display_name}; the default is one of the values', () => {
    expect(paths(manifest({ region }))).toEqual([]);
    expect(paths(manifest({ region: { ...region, default: 'Europe' } }))).toEqual(['settings.region.default']);
  });

  it('refuses a choice object without display_name, with other keys, or repeating a value', () => {
    expect(paths(manifest({ r: { type: 'choice', choices: [{ value: 'eu' }] } }))).toContain('settings.r.choices.0');
    expect(
      paths(manifest({ r: { type: 'choice', choices: [{ value: 'eu', display_name: 'EU', colour: 'blue' }] } })),
    ).toContain('settings.r.choices.0');
    expect(
      paths(
        manifest({
          r: {
            type: 'choice',
            choices: [
              { value: 'eu', display_name: 'EU' },
              { value: 'eu', display_name: 'Europe' },
            ],
          },
        }),
      ),
    ).toEqual(['settings.r.choices.1']);
  });

  it('values are checked against the values, never the labels', () => {
    expect(validateConfig({ region }, { region: 'eu' })).toMatchObject({ valid: true });
    expect(validateConfig({ region }, { region: 3 })).toMatchObject({ valid: true });
    expect(validateConfig({ region }, { region: 'Europe' })).toMatchObject({ valid: false });
    expect(choiceValues(region)).toEqual(['eu', 'us', 3]);
    expect(choiceEntries(region)).toEqual([
      { value: 'eu', display_name: 'Europe' },
      { value: 'us', display_name: 'us' },
      { value: 3, display_name: 'Three' },
    ]);
  });
});

describe('pattern', () => {
  const code: SettingDefinition = { type: 'string', pattern: '[A-Z]{3}-\\d+' };

  it('the whole value must match', () => {
    expect(validateConfig({ code }, { code: 'ABC-12' })).toMatchObject({ valid: true });
    for (const bad of ['abc-12', 'ABC-12x', 'xABC-12', '']) {
      const result = validateConfig({ code }, { code: bad }, { pathPrefix: 'config.' });
      expect(result.valid ? [] : result.errors.map((e) => e.path)).toEqual(['config.code']);
    }
  });

  it('a manifest pattern must compile, apply to a string setting, fit its default, and not nest quantifiers', () => {
    expect(paths(manifest({ code: { ...code, default: 'ABC-1' } }))).toEqual([]);
    expect(paths(manifest({ code: { ...code, default: 'nope' } }))).toEqual(['settings.code.default']);
    expect(paths(manifest({ code: { type: 'string', pattern: '([a-z]' } }))).toEqual(['settings.code.pattern']);
    expect(paths(manifest({ n: { type: 'integer', pattern: '\\d+' } }))).toEqual(['settings.n']);
    for (const evil of ['(a+)+$', '(\\w*)*x', '(x{1,5}y?)+', '((ab)*)*']) {
      expect(patternProblem(evil), evil).toBeDefined();
    }
    for (const fine of ['[a-z]+', '(ab)+', '\\(a+\\)+', 'v\\d+(\\.\\d+){0,2}']) {
      expect(patternProblem(fine), fine).toBeUndefined();
    }
  });

  it('anchors whatever it is given: alternatives cannot escape the anchors', () => {
    fc.assert(
      fc.property(fc.string(), (tail) => {
        fc.pre(tail.length > 0);
        expect(matchesPattern('a|b', `a${tail}`)).toBe(false);
      }),
    );
    expect(matchesPattern('a|b', 'b')).toBe(true);
  });
});
