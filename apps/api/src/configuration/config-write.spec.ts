import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SECRET_MASK, type SettingDefinition } from '@app/plugin-sdk';
import { planConfigWrite, type StoredSettings } from './config-write.js';

const settings: Record<string, SettingDefinition> = {
  api_key: { type: 'string', secret: true, required: true },
  webhook_secret: { type: 'string', secret: true },
  batch_size: { type: 'integer', min: 1, max: 500, default: 50 },
  ratio: { type: 'number', min: 0, max: 1 },
  verbose: { type: 'boolean', default: false },
  mode: { type: 'choice', choices: ['fast', 'safe', 3], default: 'safe', restart_required: true },
  extra: { type: 'json' },
  region: { type: 'string', required: true },
};

const stored: StoredSettings = {
  config: { batch_size: 10, verbose: false, mode: 'safe', region: 'eu' },
  secretKeys: ['api_key'],
};

describe('planConfigWrite', () => {
  it('replaces: plain keys left out take their default, the mask keeps a stored secret', () => {
    const result = planConfigWrite(settings, stored, { api_key: SECRET_MASK, region: 'us', mode: 3 }, 'replace');
    expect(result).toEqual({
      ok: true,
      plan: {
        config: { batch_size: 50, verbose: false, mode: 3, region: 'us' },
        sealSecrets: {},
        dropSecrets: [],
        updatedFields: ['batch_size', 'mode', 'region'],
        restartRequired: ['mode'],
      },
    });
  });

  it('replaces: a secret left out is cleared, and a required one left out is an error', () => {
    const cleared = planConfigWrite(
      { ...settings, api_key: { type: 'string', secret: true } },
      stored,
      { region: 'eu', batch_size: 10 },
      'replace',
    );
    expect(cleared).toMatchObject({ ok: true, plan: { dropSecrets: ['api_key'], updatedFields: ['api_key'] } });
    const required = planConfigWrite(settings, { ...stored, secretKeys: [] }, { region: 'eu' }, 'replace');
    expect(required.ok ? [] : required.errors.map((e) => e.field)).toEqual(['configuration.api_key']);
    expect(required.ok).toBe(false);
    for (const [body, mode] of [
      [{ region: 'eu' }, 'replace'],
      [{ api_key: null }, 'merge'],
    ] as const) {
      const kept = planConfigWrite(settings, stored, body, mode);
      expect(kept.ok ? [] : kept.errors.map((e) => e.field)).toEqual(['configuration.api_key']);
    }
  });

  it('merges: only the given keys change; a new secret is to seal, null clears to the default', () => {
    const result = planConfigWrite(settings, stored, { webhook_secret: 's3', batch_size: null, ratio: 0.5 }, 'merge');
    expect(result).toEqual({
      ok: true,
      plan: {
        config: { batch_size: 50, ratio: 0.5, verbose: false, mode: 'safe', region: 'eu' },
        sealSecrets: { webhook_secret: 's3' },
        dropSecrets: [],
        updatedFields: ['webhook_secret', 'batch_size', 'ratio'],
        restartRequired: [],
      },
    });
  });

  it('writing back what GET showed changes nothing', () => {
    const shown = { api_key: SECRET_MASK, ...stored.config };
    expect(planConfigWrite(settings, stored, shown, 'replace')).toMatchObject({
      ok: true,
      plan: { config: stored.config, sealSecrets: {}, dropSecrets: [], updatedFields: [] },
    });
    expect(planConfigWrite(settings, stored, shown, 'merge')).toMatchObject({ ok: true, plan: { updatedFields: [] } });
  });

  it('the mask of a secret that has no value is an error, not a value', () => {
    const result = planConfigWrite(settings, stored, { webhook_secret: SECRET_MASK }, 'merge');
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((e) => e.field)).toEqual(['configuration.webhook_secret']);
  });

  it('reports every bad field at once, with its path, for every type and bound', () => {
    const result = planConfigWrite(
      settings,
      stored,
      {
        batch_size: 0,
        ratio: 1.5,
        verbose: 'yes',
        mode: 'slow',
        extra: { f: () => 1 },
        region: 7,
        nope: 1,
        webhook_secret: SECRET_MASK,
      },
      'merge',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.field)).toEqual([
      'configuration.batch_size',
      'configuration.extra',
      'configuration.mode',
      'configuration.nope',
      'configuration.ratio',
      'configuration.region',
      'configuration.verbose',
      'configuration.webhook_secret',
    ]);
    expect(planConfigWrite(settings, stored, { batch_size: 501 }, 'merge').ok).toBe(false);
    expect(planConfigWrite(settings, stored, { batch_size: 500, ratio: 0 }, 'merge').ok).toBe(true);
  });

  it('a body that is not an object is one error on the field itself', () => {
    for (const body of [null, [], 'x', 3]) {
      const result = planConfigWrite(settings, stored, body, 'merge');
      expect(result.ok).toBe(false);
      expect(result.ok ? [] : result.errors.map((e) => e.field)).toEqual(['configuration']);
    }
  });

  it('never puts a secret value among the plain values, and never reports a secret as unchanged when written', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom<'replace' | 'merge'>('replace', 'merge'), (secret, mode) => {
        fc.pre(secret !== SECRET_MASK);
        const result = planConfigWrite(settings, stored, { api_key: secret, region: 'eu' }, mode);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(Object.keys(result.plan.config).filter((key) => settings[key].secret)).toEqual([]);
        expect(result.plan.sealSecrets).toEqual({ api_key: secret });
        expect(result.plan.updatedFields).toContain('api_key');
      }),
    );
  });
});
