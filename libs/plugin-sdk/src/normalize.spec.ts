import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, isCapability } from './capabilities.js';
import type { PermissionEntry, PluginManifest } from './manifest.types.js';
import { validateManifest } from './manifest.validator.js';
import { normalizeManifest } from './normalize.js';
import { isCustomScope, permissionId, splitPermissions } from './permissions.js';

const SEED_002 = readFileSync(new URL('./fixtures/seed-002/manifest.json.txt', import.meta.url), 'utf8');

function valid(input: unknown, publisher?: string): PluginManifest {
  const result = validateManifest(input, { publisher });
  if (!result.valid) throw new Error(JSON.stringify(result.errors));
  return result.manifest;
}

describe('normalizeManifest', () => {
  it("resolves seed 002's format: main as the sandbox entry, its hooks, website as homepage, split permissions", () => {
    const normalized = normalizeManifest(valid(JSON.parse(SEED_002), 'example'));
    expect(normalized).toMatchObject({
      key: 'example.data-processor',
      runtime: { type: 'sandbox', entry: 'index.js' },
      hooks: {
        init: 'onInit',
        process: 'onProcess',
        cleanup: 'onCleanup',
        message: 'onMessage',
        event: 'onEvent',
        health: 'onHealth',
        request: 'onRequest',
      },
      homepage: 'https://example.com/plugins/data-processor',
      capabilities: ['process:data'],
      customScopes: ['read:data', 'write:data'],
      endpoints: [],
    });
    expect(Object.isFrozen(normalized.hooks)).toBe(true);
  });

  it('keeps an explicit runtime and homepage, and renamed hooks', () => {
    const manifest = valid({
      key: 'acme.remote',
      name: 'Remote',
      version: '1.0.0',
      description: 'x',
      homepage: 'https://acme.example.com',
      runtime: { type: 'remote', entry_point: 'https://hooks.acme.example.com' },
      permissions: ['log', { capability: 'http:external', hosts: ['api.example.com'] }, 'users:read'],
    });
    const normalized = normalizeManifest(manifest);
    expect(normalized.runtime).toEqual({ type: 'remote', entry_point: 'https://hooks.acme.example.com' });
    expect(normalized.homepage).toBe('https://acme.example.com');
    expect(normalized.capabilities).toEqual(['log', { capability: 'http:external', hosts: ['api.example.com'] }]);
    expect(normalized.customScopes).toEqual(['users:read']);
    const renamed = valid({
      ...manifest,
      runtime: undefined,
      main: 'a.js',
      hooks: { init: 'start', request: 'serve' },
    });
    expect(normalizeManifest(renamed).hooks).toMatchObject({ init: 'start', request: 'serve', process: 'onProcess' });
    expect(normalizeManifest(renamed)).not.toHaveProperty('homepage', undefined);
  });

  it('throws on a manifest with neither runtime nor main (only validated manifests are normalised)', () => {
    expect(() => normalizeManifest({ key: 'a.b', name: 'x', version: '1.0.0', description: 'x' })).toThrow(TypeError);
  });
});

describe('splitPermissions', () => {
  const entry: fc.Arbitrary<PermissionEntry> = fc.oneof(
    fc.constantFrom(...CAPABILITIES.filter((c) => c !== 'http:external')),
    fc.constant<PermissionEntry>({ capability: 'http:external', hosts: ['api.example.com'] }),
    fc.stringMatching(/^[a-z][a-z0-9]{0,6}:[a-z]{1,6}$/).map((s) => s as PermissionEntry),
  );

  it('puts every entry on exactly one side, in order, and only custom scopes on the custom side', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), (list) => {
        const { capabilities, customScopes } = splitPermissions(list);
        const kept = list.filter((e) => typeof e !== 'string' || isCapability(e) || isCustomScope(e));
        const rejoined = kept.filter((e) => capabilities.includes(e as never) || customScopes.includes(e as never));
        return (
          capabilities.length + customScopes.length === kept.length &&
          rejoined.length === kept.length &&
          capabilities.every((c) => isCapability(permissionId(c))) &&
          customScopes.every((s) => isCustomScope(s) && !isCapability(s))
        );
      }),
    );
  });

  it('drops strings that are neither (they never pass validation)', () => {
    expect(splitPermissions(['log', 'http:external', 'Bad Scope' as PermissionEntry])).toEqual({
      capabilities: ['log'],
      customScopes: [],
    });
  });
});
