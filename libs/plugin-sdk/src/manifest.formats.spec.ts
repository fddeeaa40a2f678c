import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES } from './capabilities.js';
import { validateManifest } from './manifest.validator.js';
import { deriveKey, slugifyName } from './plugin-key.js';

/** Seed 002's manifest, byte for byte as the document prints it. */
const SEED_002 = readFileSync(new URL('./fixtures/seed-002/manifest.json.txt', import.meta.url), 'utf8');
const seed002 = () => JSON.parse(SEED_002) as Record<string, unknown>;

const sandbox = () => ({
  key: 'acme.tool',
  name: 'Tool',
  version: '1.0.0',
  description: 'A tool',
  runtime: { type: 'sandbox', entry: 'index.js' },
});

function errorsOf(manifest: unknown, options?: { publisher?: string }) {
  const result = validateManifest(manifest, options);
  if (result.valid) throw new Error('expected an invalid manifest');
  return result.errors;
}
const paths = (manifest: unknown, options?: { publisher?: string }) =>
  errorsOf(manifest, options)
    .map((e) => e.path)
    .sort();

describe("seed 002's manifest, as printed", () => {
  it('validates when the key is supplied from the publisher, which derives <publisher>.<name>', () => {
    const result = validateManifest(seed002(), { publisher: 'example' });
    expect(result.valid).toBe(true);
    if (!result.valid) return;
    expect(result.manifest).toEqual({ key: 'example.data-processor', ...seed002() });
  });

  it('needs only its key by default (the registry keeps working unchanged until it passes a publisher)', () => {
    expect(paths(seed002())).toEqual(['key']);
  });

  it('keeps read:data and write:data as custom scopes; process:data is a capability', () => {
    const result = validateManifest({ ...seed002(), key: 'example.data-processor' });
    expect(result.valid).toBe(true);
    expect(CAPABILITIES).toContain('process:data');
    expect(CAPABILITIES).not.toContain('read:data');
  });

  it('does not mutate the input when it derives a key', () => {
    const input = seed002();
    validateManifest(input, { publisher: 'example' });
    expect(input).not.toHaveProperty('key');
  });
});

describe('main and runtime', () => {
  const { runtime: _unused, ...withoutRuntime } = sandbox();

  it('accepts main alone, main equal to the sandbox entry, and rejects main that differs', () => {
    expect(validateManifest({ ...withoutRuntime, main: 'index.js' }).valid).toBe(true);
    expect(validateManifest({ ...sandbox(), main: 'index.js' }).valid).toBe(true);
    expect(paths({ ...sandbox(), main: 'other.js' })).toEqual(['main']);
  });

  it('requires one of them, and rejects main or hooks on a remote plugin', () => {
    expect(paths(withoutRuntime)).toEqual(['runtime']);
    const remote = { ...withoutRuntime, runtime: { type: 'remote', entry_point: 'https://x.example.com' } };
    expect(paths({ ...remote, main: 'index.js', hooks: { init: 'start' } })).toEqual(['hooks', 'main']);
  });

  it('checks main as a package path', () => {
    expect(paths({ ...withoutRuntime, main: '../escape.js' })).toEqual(['main']);
    expect(paths({ ...withoutRuntime, main: '/etc/passwd' })).toEqual(['main']);
  });
});

describe('hooks', () => {
  it('maps each lifecycle step to a function name', () => {
    const hooks = {
      init: 'start',
      process: 'run',
      message: 'onMsg',
      event: '$event',
      health: 'check_1',
      cleanup: 'stop',
      request: 'serve',
    };
    expect(validateManifest({ ...sandbox(), hooks }).valid).toBe(true);
  });

  it.each([
    ['hooks.boot', { boot: 'start' }],
    ['hooks.init', { init: 'not a name' }],
    ['hooks.init', { init: '' }],
    ['hooks.process', { process: 'constructor' }],
    ['hooks.process', { process: '__proto__' }],
    ['hooks.cleanup', { cleanup: 42 }],
  ])('reports %s for %j', (path, hooks) => {
    expect(paths({ ...sandbox(), hooks })).toEqual([path]);
  });
});

describe('website', () => {
  it('is a synonym of homepage: either alone, or both equal', () => {
    expect(validateManifest({ ...sandbox(), website: 'https://example.com' }).valid).toBe(true);
    const same = { ...sandbox(), website: 'https://example.com', homepage: 'https://example.com' };
    expect(validateManifest(same).valid).toBe(true);
    expect(paths({ ...same, homepage: 'https://other.example.com' })).toEqual(['website']);
    expect(paths({ ...sandbox(), website: 'javascript:alert(1)' })).toEqual(['website']);
  });
});

describe('custom scopes', () => {
  it("keeps permissions outside the catalogue: seed 002's and Nexus's", () => {
    const permissions = ['read:data', 'write:data', 'auth:*', 'users:read', 'sessions:write', 'log'];
    expect(validateManifest({ ...sandbox(), permissions }).valid).toBe(true);
  });

  it.each([
    'storage:raed', // a capability namespace: a misspelt capability, not a scope
    'log:write',
    'http:internal',
    'Read:Data',
    'read',
    'read:',
    ':data',
    'read:data:more',
    '1read:data',
    'read:da ta',
    `r:${'a'.repeat(70)}`,
  ])('refuses %j', (permission) => {
    expect(paths({ ...sandbox(), permissions: [permission] })).toEqual(['permissions.0']);
  });

  it('reports a duplicate scope', () => {
    expect(paths({ ...sandbox(), permissions: ['users:read', 'users:read'] })).toEqual(['permissions.1']);
  });

  it('accepts every generated resource:action scope outside the capability namespaces', () => {
    const part = fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/);
    fc.assert(
      fc.property(part, fc.oneof(part, fc.constant('*')), (resource, action) => {
        fc.pre(
          !['log', 'config', 'secrets', 'events', 'messages', 'storage', 'http', 'process', 'endpoints'].includes(
            resource,
          ),
        );
        return validateManifest({ ...sandbox(), permissions: [`${resource}:${action}`] }).valid;
      }),
    );
  });
});

describe('endpoints', () => {
  const serving = (endpoints: unknown) => ({ ...sandbox(), permissions: ['endpoints:serve'], endpoints });

  it('accepts relative paths with :param segments and the five methods', () => {
    const endpoints = [
      { path: 'login', methods: ['POST'], description: 'User login endpoint' },
      { path: 'users/:id', methods: ['GET', 'PUT', 'PATCH', 'DELETE'], description: 'A user' },
      { path: 'users/me', methods: ['GET'], description: 'The caller', public: true },
      { path: 'files/v1.2/~backup_x-y', methods: ['GET'], description: 'Odd but legal characters' },
    ];
    expect(validateManifest(serving(endpoints)).valid).toBe(true);
  });

  it.each([
    ['/api/v1/auth/login', 'leading slash'],
    ['users/', 'trailing slash'],
    ['', 'empty'],
    ['a//b', 'empty segment'],
    ['a/../b', 'traversal'],
    ['..', 'traversal'],
    ['a/./b', 'dot segment'],
    ['a/%2e%2e', 'percent-encoding'],
    ['a/:1x', 'bad parameter name'],
    ['a/:', 'nameless parameter'],
    ['a/b c', 'space'],
    ['a/b?c=1', 'query'],
    [Array.from({ length: 17 }, () => 'x').join('/'), 'too many segments'],
    ['x'.repeat(201), 'too long'],
  ])('refuses the path %j (%s)', (path) => {
    expect(paths(serving([{ path, methods: ['GET'], description: 'x' }]))).toEqual(['endpoints.0.path']);
  });

  it('refuses duplicate routes (parameter names do not make them different) and repeated parameters', () => {
    const endpoints = [
      { path: 'users/:id', methods: ['GET'], description: 'a' },
      { path: 'users/:uid', methods: ['POST'], description: 'b' },
      { path: 'pairs/:a/:a', methods: ['GET'], description: 'c' },
    ];
    expect(paths(serving(endpoints))).toEqual(['endpoints.1.path', 'endpoints.2.path']);
  });

  it('refuses bad methods, a missing description, too many endpoints, and endpoints without endpoints:serve', () => {
    expect(paths(serving([{ path: 'a', methods: ['HEAD'], description: 'x' }]))).toEqual(['endpoints.0.methods.0']);
    expect(paths(serving([{ path: 'a', methods: [], description: 'x' }]))).toEqual(['endpoints.0.methods']);
    expect(paths(serving([{ path: 'a', methods: ['GET', 'GET'], description: 'x' }]))).toEqual(['endpoints.0.methods']);
    expect(paths(serving([{ path: 'a', methods: ['GET'] }]))).toEqual(['endpoints.0.description']);
    const many = Array.from({ length: 65 }, (_, i) => ({ path: `p${i}`, methods: ['GET'], description: 'x' }));
    expect(paths(serving(many))).toEqual(['endpoints']);
    const unserved = { ...sandbox(), endpoints: [{ path: 'a', methods: ['GET'], description: 'x' }] };
    expect(paths(unserved)).toEqual(['endpoints']);
  });
});

describe('deriveKey', () => {
  it.each([
    ['example', 'data-processor', 'example.data-processor'],
    ['acme', 'Data Processor v2!', 'acme.data-processor-v2'],
    ['acme', '  Café  Crème ', 'acme.cafe-creme'],
    ['acme', 'ＡＢＣ', 'acme.abc'],
  ])('%s + %j → %s', (publisher, name, key) => {
    expect(deriveKey(publisher, name)).toBe(key);
  });

  it.each([
    ['acme', '数据'],
    ['acme', '!!!'],
    ['Acme', 'tool'],
    ['ac.me', 'tool'],
    ['acme', 'x'.repeat(100)],
  ])('gives up on %j + %j, and the validator says the key is needed', (publisher, name) => {
    expect(deriveKey(publisher, name)).toBeUndefined();
    const { key: _key, ...keyless } = sandbox();
    expect(paths({ ...keyless, name }, { publisher })).toEqual(['key']);
  });

  it('always yields a valid key or nothing', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/), fc.string({ maxLength: 100 }), (publisher, name) => {
        const key = deriveKey(publisher, name);
        if (key === undefined) return slugifyName(name) === '' || publisher.length + slugifyName(name).length >= 100;
        return key === `${publisher}.${slugifyName(name)}` && validateManifest({ ...sandbox(), key }).valid;
      }),
    );
  });
});
