import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, CAPABILITY_CATALOGUE } from './capabilities.js';
import { PACKAGE_PATH_PATTERN } from './manifest.schema.js';
import { validateManifest } from './manifest.validator.js';
import { isUrlAllowed, matchesEventType } from './permissions.js';

const base = () => ({
  key: 'plughub.hello',
  name: 'Hello',
  version: '1.0.0',
  description: 'Says hello',
  runtime: { type: 'sandbox', entry: 'runner.js' },
});

const full = () => ({
  ...base(),
  author: 'Plughub',
  license: 'MIT',
  homepage: 'https://plughub.dev',
  icon: 'icon.svg',
  category: 'examples',
  tags: ['demo', 'hello'],
  engines: { plughub: '>=0.1.0 <2' },
  dependencies: { 'plughub.counter': '^1.0.0' },
  permissions: [
    'log',
    'events:emit',
    { capability: 'http:external', hosts: ['api.example.com', '*.example.org:8443'] },
  ],
  events: { emits: [{ type: 'hello.greeted', description: 'after a greeting' }], subscribes: [{ type: 'user.*' }] },
  settings: {
    batch_size: { type: 'integer', default: 50, min: 10, max: 1000, units: 'items' },
    ratio: { type: 'number', default: 0.5, min: 0, max: 1 },
    mode: { type: 'choice', choices: ['fast', 'safe'], default: 'safe' },
    api_key: { type: 'string', secret: true, required: true, name: 'API key' },
    enabled: { type: 'boolean', default: true },
    extra: { type: 'json', default: { a: [1] } },
  },
  limits: { memory_mb: 16, timeout_ms: 1000, max_pending: 4 },
});

function errorsOf(manifest: unknown) {
  const result = validateManifest(manifest);
  if (result.valid) throw new Error('expected invalid manifest');
  return result.errors;
}

const paths = (manifest: unknown) => errorsOf(manifest).map((e) => e.path);

describe('validateManifest', () => {
  it('accepts a minimal and a full manifest and returns them typed', () => {
    const min = base();
    expect(validateManifest(min)).toEqual({ valid: true, manifest: min });
    expect(validateManifest(full()).valid).toBe(true);
    expect(
      validateManifest({ ...base(), runtime: { type: 'remote', entry_point: 'https://x.example.com/hook' } }).valid,
    ).toBe(true);
  });

  it('accepts the shipped sample plugins', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const name of ['hello', 'counter', 'webhook-relay']) {
      const text = await readFile(new URL(`../../../plugins/${name}/manifest.json`, import.meta.url), 'utf8');
      expect(validateManifest(JSON.parse(text)), name).toMatchObject({ valid: true });
    }
  });

  it.each([null, 42, 'x', [], true])('rejects a non-object (%s) at the root', (value) => {
    expect(paths(value)).toEqual(['']);
  });

  it('lists every missing required field', () => {
    expect(paths({}).sort()).toEqual(['description', 'key', 'name', 'runtime', 'version']);
  });

  it.each([
    ['key', 'Plughub.Hello'],
    ['key', 'hello'],
    ['key', 'a.b.c'],
    ['key', '-a.b'],
    ['key', 'a..b'],
    ['version', '1.0'],
    ['version', 'v1.0.0'],
    ['version', 'latest'],
    ['engines.plughub', 'not a range'],
    ['dependencies.plughub.counter', 'banana'],
    ['homepage', 'ftp://example.com'],
    ['homepage', 'not a url'],
    ['icon', '../secret.svg'],
    ['icon', '/etc/passwd'],
    // Paths the packager could not write as a ustar entry below package/ (see PACKAGE_PATH_PATTERN).
    ['icon', 'i'.repeat(93)],
    ['runtime.entry', 'r'.repeat(150)],
    ['runtime.entry', `${'d'.repeat(148)}/runner.js`],
    ['runtime.entry', `dist/${'r'.repeat(101)}`],
    ['runtime.entry', 'dist/'],
    ['tags', ['a', 'a']],
    ['tags.0', 'Has Space'],
    ['category', 'UPPER'],
    ['limits.memory_mb', 0],
    ['limits.memory_mb', 100_000],
    ['limits.timeout_ms', 1.5],
    ['limits.max_pending', -1],
    ['name', ''],
  ])('reports %s for %j', (path, value) => {
    const manifest: Record<string, unknown> = full();
    const keys = path.split('.');
    // dependencies use a dotted plugin key as the property name
    if (path.startsWith('dependencies.')) manifest.dependencies = { 'plughub.counter': value };
    else {
      let target = manifest;
      for (const k of keys.slice(0, -1)) target = (target[k] ??= {}) as Record<string, unknown>;
      target[keys.at(-1)!] = value;
    }
    expect(paths(manifest)).toContain(path);
  });

  it('accepts every package path the packager can write, up to 92 characters or split at a slash', () => {
    for (const entry of ['r'.repeat(92), `${'d'.repeat(147)}/${'r'.repeat(52)}`, 'a/b/c.js', 'lib/x-1_2.mjs']) {
      expect(validateManifest({ ...base(), runtime: { type: 'sandbox', entry } }), entry).toMatchObject({
        valid: true,
      });
    }
    // Whether `package/<path>` fits a ustar header as the packager splits it: whole in the 100-byte name,
    // or cut at the last slash within the first 155 bytes, with at most 100 bytes after it.
    const fitsUstar = (path: string) => {
      const full = `package/${path}`;
      if (full.length <= 100) return true;
      const cut = full.lastIndexOf('/', 155);
      return cut > 0 && full.length - cut - 1 <= 100;
    };
    // Segments of every length up to 120, so paths around every boundary (92, 147, 200) come up.
    const segment = fc
      .tuple(fc.integer({ min: 1, max: 120 }), fc.constantFrom('a', 'Z', '0', '_', '-', '.'))
      .map(([n, c]) => c.repeat(n))
      .filter((s) => s !== '..');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (segments) => {
        const entry = segments.join('/');
        const { valid } = validateManifest({ ...base(), runtime: { type: 'sandbox', entry } });
        if (valid) expect(fitsUstar(entry)).toBe(true);
        if (entry.length <= 92) expect(valid).toBe(true);
        if (entry.length <= 200) expect(new RegExp(PACKAGE_PATH_PATTERN, 'u').test(entry)).toBe(valid);
      }),
    );
  });

  it('reports unknown properties with their own path', () => {
    expect(paths({ ...base(), extra: 1, runtime: { type: 'sandbox', entry: 'r.js', foo: 1 } })).toEqual([
      'extra',
      'runtime.foo',
    ]);
  });

  it('requires entry for sandbox and entry_point for remote runtimes', () => {
    expect(paths({ ...base(), runtime: { type: 'sandbox' } })).toEqual(['runtime.entry']);
    expect(paths({ ...base(), runtime: { type: 'remote', entry: 'runner.js' } }).sort()).toEqual([
      'runtime.entry',
      'runtime.entry_point',
    ]);
    expect(paths({ ...base(), runtime: { type: 'remote', entry_point: 'file:///etc/passwd' } })).toEqual([
      'runtime.entry_point',
    ]);
    expect(paths({ ...base(), runtime: { type: 'docker', entry: 'x' } })).toEqual(['runtime.type']);
  });

  it('checks permissions item by item', () => {
    const errors = errorsOf({
      ...base(),
      permissions: [
        'log',
        'storage:everything', // a capability namespace: not a custom scope
        'http:external',
        { capability: 'http:external', hosts: [] },
        { capability: 'http:external', hosts: ['https://api.example.com'] },
        'log',
      ],
    });
    const byPath = Object.fromEntries(errors.map((e) => [e.path, e.message]));
    expect(Object.keys(byPath).sort()).toEqual([
      'permissions.1',
      'permissions.2',
      'permissions.3',
      'permissions.3.hosts',
      'permissions.4',
      'permissions.4.hosts.0',
      'permissions.5',
    ]);
    expect(byPath['permissions.1']).toMatch(/^unknown capability storage:everything/);
    expect(byPath['permissions.2']).toMatch(/http:external needs its allowed hosts/);
    expect(byPath['permissions.5']).toBe('duplicate permission log');
  });

  it('checks settings definitions, including rules across fields', () => {
    const errors = errorsOf({
      ...base(),
      settings: {
        batch_size: { type: 'integer', min: 10, max: 5, default: 2 },
        ratio: { type: 'number', default: 'high' },
        mode: { type: 'choice', choices: ['a', 'b'], default: 'c' },
        nochoices: { type: 'choice' },
        title: { type: 'string', min: 1, choices: ['x'] },
        token: { type: 'string', secret: true, default: 'leaked' },
        flag: { type: 'boolean', default: 'yes' },
        weird: { type: 'date' },
        'Bad-Key': { type: 'string' },
        typo: { type: 'string', defualt: 'x' },
      },
    });
    const got = errors.map((e) => e.path);
    expect(got).toEqual(
      expect.arrayContaining([
        'settings.batch_size.min',
        'settings.batch_size.default',
        'settings.ratio.default',
        'settings.mode.default',
        'settings.nochoices.choices',
        'settings.title',
        'settings.token.default',
        'settings.flag.default',
        'settings.weird.type',
        'settings.Bad-Key',
        'settings.typo.defualt',
      ]),
    );
    expect(errors.find((e) => e.path === 'settings.batch_size.min')?.message).toBe('must be <= max');
  });

  it('rejects self-dependencies and bad dependency keys', () => {
    expect(paths({ ...base(), dependencies: { 'plughub.hello': '^1.0.0', NotAKey: '1.0.0' } }).sort()).toEqual([
      'dependencies.NotAKey',
      'dependencies.plughub.hello',
    ]);
  });

  it('validates event declarations (wildcards only in subscriptions)', () => {
    expect(
      paths({
        ...base(),
        events: { emits: [{ type: 'user.*' }, { name: 'x' }], subscribes: [{ type: '*' }, { type: 'a.*' }] },
      }).sort(),
    ).toEqual(['events.emits.0.type', 'events.emits.1.name', 'events.emits.1.type']);
  });

  // Property-based: any well-formed key/version/permission set is accepted; any single corruption is reported.
  const segment = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,15}$/);
  const version = fc
    .tuple(
      fc.nat(50),
      fc.nat(50),
      fc.nat(50),
      fc.option(fc.constantFrom('alpha.1', 'rc.2', 'beta'), { nil: undefined }),
    )
    .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`);
  const simpleCaps = CAPABILITIES.filter((c) => c !== 'http:external');

  it('accepts every generated well-formed manifest', () => {
    fc.assert(
      fc.property(
        segment,
        segment,
        version,
        fc.uniqueArray(fc.constantFrom(...simpleCaps)),
        fc.integer({ min: -1000, max: 1000 }),
        fc.nat(1000),
        (pub, name, v, perms, min, span) => {
          const manifest = {
            ...base(),
            key: `${pub}.${name}`,
            version: v,
            permissions: perms,
            settings: { n: { type: 'integer', min, max: min + span, default: min + Math.floor(span / 2) } },
          };
          const result = validateManifest(manifest);
          expect(result.valid ? [] : result.errors).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects generated keys with characters outside [a-z0-9-] and reports the key path', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/^[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$/.test(s)),
        (key) => {
          expect(paths({ ...base(), key })).toEqual(['key']);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reports integer defaults outside [min, max]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -100, max: 100 }),
        fc.nat(100),
        fc.integer({ min: 1, max: 50 }),
        (min, span, out) => {
          const setting = { type: 'integer', min, max: min + span, default: min + span + out };
          expect(paths({ ...base(), settings: { n: setting } })).toEqual(['settings.n.default']);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateManifest(value);
        if (!result.valid) for (const e of result.errors) expect(typeof e.path).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});

describe('capability catalogue', () => {
  it('describes every capability exactly once', () => {
    expect(CAPABILITY_CATALOGUE.map((c) => c.id).sort()).toEqual([...CAPABILITIES].sort());
    for (const c of CAPABILITY_CATALOGUE) expect(c.description.length).toBeGreaterThan(10);
  });
});

describe('isUrlAllowed', () => {
  it.each([
    ['https://api.example.com/v1', ['api.example.com'], true],
    ['http://api.example.com:8080/', ['api.example.com'], true],
    ['https://api.example.com:8443/', ['api.example.com:8443'], true],
    ['https://api.example.com/', ['api.example.com:8443'], false],
    ['https://evil.com/?api.example.com', ['api.example.com'], false],
    ['https://api.example.com.evil.com/', ['api.example.com'], false],
    ['https://a.example.org/', ['*.example.org'], true],
    ['https://example.org/', ['*.example.org'], false],
    ['https://badexample.org/', ['*.example.org'], false],
    ['file:///etc/passwd', ['*.example.org'], false],
    ['https://user:pw@api.example.com/', ['api.example.com'], false],
    ['http://127.0.0.1:3000/hook', ['127.0.0.1'], true],
    ['not a url', ['api.example.com'], false],
  ])('%s with %j → %s', (url, hosts, allowed) => {
    expect(isUrlAllowed(url, hosts)).toBe(allowed);
  });
});

describe('matchesEventType', () => {
  it.each([
    ['*', 'anything.at.all', true],
    ['user.*', 'user.login', true],
    ['user.*', 'user.profile.updated', true],
    ['user.*', 'user', false],
    ['user.*', 'username.changed', false],
    ['user.login', 'user.login', true],
    ['user.login', 'user.logout', false],
  ])('%s ~ %s → %s', (subscription, type, expected) => {
    expect(matchesEventType(subscription, type)).toBe(expected);
  });
});
