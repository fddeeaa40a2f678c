import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskSecrets, SECRET_MASK, splitSecrets, validateConfig } from './config.validator.js';
import type { SettingDefinition } from './manifest.types.js';

const settings: Record<string, SettingDefinition> = {
  batch_size: { type: 'integer', default: 50, min: 10, max: 1000 },
  ratio: { type: 'number', min: 0, max: 1 },
  mode: { type: 'choice', choices: ['fast', 'safe', 3], default: 'safe' },
  enabled: { type: 'boolean', default: true },
  extra: { type: 'json' },
  name: { type: 'string' },
  api_key: { type: 'string', secret: true, required: true },
};

const errorsOf = (values: unknown, options = {}) => {
  const result = validateConfig(settings, values, options);
  if (result.valid) throw new Error('expected invalid config');
  return result.errors;
};

describe('validateConfig', () => {
  it('fills in defaults and keeps given values', () => {
    expect(validateConfig(settings, { api_key: 'k', ratio: 0.5, extra: { a: [1, null] } })).toEqual({
      valid: true,
      config: { api_key: 'k', ratio: 0.5, extra: { a: [1, null] }, batch_size: 50, mode: 'safe', enabled: true },
    });
  });

  it('lists every problem with a prefixed path', () => {
    const errors = errorsOf(
      { batch_size: 5000, ratio: 'high', mode: 'turbo', enabled: 'yes', name: 3, unknown: 1, extra: () => 1 },
      { pathPrefix: 'config.' },
    );
    expect(errors).toEqual([
      { path: 'config.batch_size', message: 'must be <= 1000' },
      { path: 'config.ratio', message: 'must be a number' },
      { path: 'config.mode', message: 'must be one of: "fast", "safe", 3' },
      { path: 'config.enabled', message: 'must be true or false' },
      { path: 'config.name', message: 'must be a string' },
      { path: 'config.unknown', message: 'is not a setting of this plugin' },
      { path: 'config.extra', message: 'must be JSON (objects, arrays, strings, numbers, booleans, null)' },
      { path: 'config.api_key', message: 'is required' },
    ]);
  });

  it.each([
    [{ batch_size: 9 }, 'must be >= 10'],
    [{ batch_size: 10.5 }, 'must be an integer'],
    [{ ratio: Number.NaN }, 'must be a number'],
    [{ ratio: -0.1 }, 'must be >= 0'],
  ])('rejects %j: %s', (values, message) => {
    expect(errorsOf({ api_key: 'k', ...values })).toEqual([{ path: Object.keys(values)[0], message }]);
  });

  it('checks only the given keys in partial mode', () => {
    expect(validateConfig(settings, { ratio: 1 }, { partial: true })).toEqual({ valid: true, config: { ratio: 1 } });
    expect(errorsOf({ ratio: 2 }, { partial: true })).toEqual([{ path: 'ratio', message: 'must be <= 1' }]);
  });

  it('treats null as "unset": the default applies, or required fails', () => {
    expect(validateConfig(settings, { api_key: 'k', batch_size: null })).toMatchObject({ config: { batch_size: 50 } });
    expect(errorsOf({ api_key: null })).toEqual([{ path: 'api_key', message: 'is required' }]);
  });

  it('refuses a non-object and prototype keys', () => {
    expect(errorsOf([1], { pathPrefix: 'config.' })).toEqual([{ path: 'config', message: 'must be an object' }]);
    expect(
      errorsOf(JSON.parse('{"api_key": "k", "__proto__": {"x": 1}, "constructor": 1}')).map((e) => e.path),
    ).toEqual(['__proto__', 'constructor']);
  });

  it('accepts every integer within [min, max] and rejects every one outside', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 5000 }), (n) => {
        const ok = validateConfig(settings, { api_key: 'k', batch_size: n }).valid;
        expect(ok).toBe(n >= 10 && n <= 1000);
      }),
      { numRuns: 300 },
    );
  });
});

describe('secrets', () => {
  const config = { api_key: 'k', batch_size: 50 };

  it('splits secrets from plain values', () => {
    expect(splitSecrets(settings, config)).toEqual({ config: { batch_size: 50 }, secrets: { api_key: 'k' } });
  });

  it('masks secrets that are set', () => {
    expect(maskSecrets(settings, config)).toEqual({ api_key: SECRET_MASK, batch_size: 50 });
    expect(maskSecrets(settings, { api_key: null })).toEqual({ api_key: null });
  });
});
