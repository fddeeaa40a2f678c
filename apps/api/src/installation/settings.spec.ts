import type { SettingDefinition } from '@app/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { missingRequired, settingsAcrossVersions, settingsAtInstall } from './settings.js';

const schema: Record<string, SettingDefinition> = {
  greeting: { type: 'string', default: 'Hello' },
  batch_size: { type: 'integer', default: 50, min: 10, max: 1000 },
  mode: { type: 'choice', choices: ['fast', 'safe'] },
  api_key: { type: 'string', secret: true, required: true },
  url: { type: 'string', required: true },
};

describe('settingsAtInstall', () => {
  it('fills defaults, keeps given values and puts secrets apart', () => {
    expect(settingsAtInstall(schema, { batch_size: 100, api_key: 'k', url: 'https://x' })).toEqual({
      config: { greeting: 'Hello', batch_size: 100, url: 'https://x' },
      secrets: { api_key: 'k' },
      errors: [],
    });
  });

  it('reports every bad field at once with its path, and nothing about required ones', () => {
    const { errors } = settingsAtInstall(schema, { batch_size: 5000, mode: 'slow', rogue: 1, greeting: 7 });
    expect(errors.map((e) => e.field).sort()).toEqual([
      'config.batch_size',
      'config.greeting',
      'config.mode',
      'config.rogue',
    ]);
  });

  it('takes null as "not given"', () => {
    expect(settingsAtInstall(schema, { greeting: null }).config.greeting).toBe('Hello');
  });

  it('prefixes errors with the field it is told', () => {
    expect(settingsAtInstall(schema, { mode: 1 }, 'dependency_config.acme.b').errors[0].field).toBe(
      'dependency_config.acme.b.mode',
    );
  });
});

describe('missingRequired', () => {
  it('names required settings without a value, secrets counted when stored', () => {
    expect(missingRequired(schema, { greeting: 'x' }, [])).toEqual(['api_key', 'url']);
    expect(missingRequired(schema, { url: 'u' }, ['api_key'])).toEqual([]);
    expect(missingRequired(undefined, {}, [])).toEqual([]);
  });
});

describe('settingsAcrossVersions', () => {
  it('keeps what still fits, defaults what is new, drops what is gone or no longer fits', () => {
    const next: Record<string, SettingDefinition> = {
      greeting: { type: 'string', default: 'Hi' },
      batch_size: { type: 'integer', default: 20, max: 100 },
      colour: { type: 'string', default: 'blue' },
      api_key: { type: 'string', secret: true },
    };
    expect(
      settingsAcrossVersions(next, { greeting: 'Ahoy', batch_size: 500, mode: 'fast' }, ['api_key', 'old']),
    ).toEqual({
      config: { greeting: 'Ahoy', batch_size: 20, colour: 'blue' },
      keptSecrets: ['api_key'],
    });
  });

  it('drops a value whose setting turned secret, and a secret whose setting turned plain', () => {
    const next: Record<string, SettingDefinition> = {
      greeting: { type: 'string', secret: true },
      api_key: { type: 'string' },
    };
    expect(settingsAcrossVersions(next, { greeting: 'visible' }, ['api_key'])).toEqual({ config: {}, keptSecrets: [] });
  });
});
