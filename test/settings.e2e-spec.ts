import type { AuthUser } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../apps/api/src/admin/audit-log.js';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';

type Client = ReturnType<TestApp['client']>;
type User = Awaited<ReturnType<TestApp['createUser']>>;
type Json = Record<string, unknown>;

const t = useTestApp();

const REVIEWER: AuthUser = {
  id: '0000000000000000000000ad',
  email: 'reviewer@settings.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

const KEY = 'acme.dialled';
const OTHER = 'acme.second';
const SECRET = 'sk-dialled-secret-4242';
const GLOBAL_SECRET = 'sk-dialled-global-9191';

const RUNNER = 'let ctx;\nexport default { onInit(c) { ctx = c; }, onMessage() { return { config: ctx.config }; } };\n';

const SETTINGS = {
  greeting: { type: 'string', name: 'Greeting', description: 'Said first', default: 'Hello', units: 'words' },
  code: { type: 'string', pattern: '[A-Z]{3}' },
  batch_size: { type: 'integer', min: 1, max: 500, default: 50 },
  ratio: { type: 'number', min: 0, max: 1 },
  verbose: { type: 'boolean', default: false },
  region: {
    type: 'choice',
    choices: [{ value: 'eu', display_name: 'Europe' }, 'us'],
    default: 'eu',
    restart_required: true,
  },
  extra: { type: 'json' },
  api_key: { type: 'string', secret: true, required: true },
};

let owner: User;
let outsider: User;
let admin: Client;
let installationId: string;

const path = { params: { path: { plugin: KEY } } };
const one = (key: string) => ({ params: { path: { plugin: KEY, key } } });

async function publish(publisher: User, key: string): Promise<void> {
  const manifest = {
    key,
    name: 'Dialled',
    version: '1.0.0',
    description: 'Has one setting of every type',
    author: 'Acme Labs',
    license: 'MIT',
    runtime: { type: 'sandbox', entry: 'runner.js' },
    permissions: ['config:read', 'secrets:read', 'messages:receive'],
    settings: SETTINGS,
  };
  const pub = await publisher.client.POST('/api/plugins/', {
    body: { manifest, files: { runner: RUNNER }, scope: 'public' } as never,
  });
  expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
  await t.app.get(ModerationService).reviewVersion(REVIEWER, key, '1.0.0', 'approved');
}

beforeAll(async () => {
  const publisher = await t.createUser({ email: 'pub@settings.test', roles: ['publisher'], handle: 'acme' });
  owner = await t.createUser({ email: 'owner@settings.test' });
  outsider = await t.createUser({ email: 'out@settings.test' });
  admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
  await publish(publisher, KEY);
  await publish(publisher, OTHER);
  const installed = await owner.client.POST('/api/plugins/{plugin}/install/', {
    ...path,
    body: { config: { api_key: SECRET, batch_size: 10 } } as never,
  });
  expect(installed.response.status, JSON.stringify(installed.error)).toBe(201);
  installationId = (installed.data as { installation: { id: string } }).installation.id;
  const second = await owner.client.POST('/api/plugins/{plugin}/install/', {
    params: { path: { plugin: OTHER } },
    body: { config: { api_key: 'x-other' }, auto_enable: false } as never,
  });
  expect(second.response.status, JSON.stringify(second.error)).toBe(201);
});

describe('GET …/config/ with include_schema and include_secrets', () => {
  it('include_schema adds each definition, choices as {value, display_name}', async () => {
    const res = await owner.client.GET('/api/plugins/{plugin}/config/', {
      params: { path: { plugin: KEY }, query: { include_schema: true } },
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(Object.keys(res.data!.schema!)).toEqual(Object.keys(SETTINGS));
    expect(res.data!.schema!.region).toEqual({
      type: 'choice',
      choices: [
        { value: 'eu', display_name: 'Europe' },
        { value: 'us', display_name: 'us' },
      ],
      default: 'eu',
      restart_required: true,
    });
    expect(res.data!.schema!.code).toEqual({ type: 'string', pattern: '[A-Z]{3}' });
    const plain = await owner.client.GET('/api/plugins/{plugin}/config/', path);
    expect(plain.data!.schema).toBeUndefined();
  });

  it('include_secrets shows secrets in clear to a platform admin only, and each read is audited', async () => {
    const global = { params: { path: { plugin: KEY }, query: { scope: 'global' as const } } };
    const installed = await admin.POST('/api/plugins/{plugin}/install/', {
      ...global,
      body: { config: { api_key: GLOBAL_SECRET } } as never,
    });
    expect(installed.response.status, JSON.stringify(installed.error)).toBe(201);
    const revealed = await admin.GET('/api/plugins/{plugin}/config/', {
      params: { path: { plugin: KEY }, query: { scope: 'global', include_secrets: true } },
    });
    expect(revealed.response.status, JSON.stringify(revealed.error)).toBe(200);
    expect(revealed.data!.configuration.api_key).toBe(GLOBAL_SECRET);
    const masked = await admin.GET('/api/plugins/{plugin}/config/', global);
    expect(masked.data!.configuration.api_key).toBe('***hidden***');
    const refused = await owner.client.GET('/api/plugins/{plugin}/config/', {
      params: { path: { plugin: KEY }, query: { scope: 'global', include_secrets: true } },
    });
    expect([refused.response.status, refused.error?.details?.reason]).toEqual([403, 'secrets_admin_only']);
    expect(JSON.stringify(refused.error)).not.toContain(GLOBAL_SECRET);
    await t.app.get(AuditLog).flush();
    const audit = await admin.GET('/api/admin/audit/', {
      params: { query: { action: 'configuration.secrets_revealed', limit: 100 } },
    });
    expect(audit.response.status, JSON.stringify(audit.error)).toBe(200);
    expect(audit.data!.results.map((e) => e.outcome).sort()).toEqual(['denied', 'success']);
    expect(JSON.stringify(audit.data)).not.toContain(GLOBAL_SECRET);
    expect(JSON.stringify(t.logs)).not.toContain(GLOBAL_SECRET);
  });
});

describe('GET /api/plugins/settings/', () => {
  it('lists every setting of the caller’s installations, filtered by plugin__key and plugin__active', async () => {
    const all = await owner.client.GET('/api/plugins/settings/', { params: { query: { limit: 100 } } });
    expect(all.response.status, JSON.stringify(all.error)).toBe(200);
    // Their own two, and the global one the admin installed above.
    expect(all.data!.count).toBe(3 * Object.keys(SETTINGS).length);
    const mine = await owner.client.GET('/api/plugins/settings/', {
      params: { query: { plugin__key: KEY, limit: 100 } },
    });
    expect(mine.data!.results.every((s) => s.plugin === KEY)).toBe(true);
    const own = mine.data!.results.filter((s) => s.installation === installationId);
    expect(own.map((s) => s.key)).toEqual(Object.keys(SETTINGS));
    expect(new Set(mine.data!.results.map((s) => s.scope))).toEqual(new Set(['user', 'global']));
    const active = await owner.client.GET('/api/plugins/settings/', {
      params: { query: { plugin__active: true, limit: 100 } },
    });
    expect(new Set(active.data!.results.map((s) => s.plugin))).toEqual(new Set([KEY]));
    const inactive = await owner.client.GET('/api/plugins/settings/', {
      params: { query: { plugin__active: false, limit: 100 } },
    });
    expect(new Set(inactive.data!.results.map((s) => s.plugin))).toEqual(new Set([OTHER]));
    // Someone with no installation of their own sees the global one's only (its secrets masked).
    const others = await outsider.client.GET('/api/plugins/settings/', { params: { query: { limit: 100 } } });
    expect(others.data!.count).toBe(Object.keys(SETTINGS).length);
    expect(new Set(others.data!.results.map((s) => s.scope))).toEqual(new Set(['global']));
    expect(JSON.stringify(others.data)).not.toContain(GLOBAL_SECRET);
  });
});

describe('…/settings/ and …/settings/{key}/', () => {
  it('shows each setting with its definition and value; a secret as the mask with has_value', async () => {
    const res = await owner.client.GET('/api/plugins/{plugin}/settings/', { ...path });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    const byKey = Object.fromEntries(res.data!.results.map((s) => [s.key, s]));
    expect(byKey.greeting).toMatchObject({
      value: 'Hello',
      name: 'Greeting',
      description: 'Said first',
      units: 'words',
      type: 'string',
      choices: [],
      secret: false,
      required: false,
    });
    expect(byKey.api_key).toMatchObject({ value: '***hidden***', secret: true, required: true, has_value: true });
    expect(byKey.ratio).toMatchObject({ value: null, has_value: false });
    expect(byKey.region.choices).toEqual([
      { value: 'eu', display_name: 'Europe' },
      { value: 'us', display_name: 'us' },
    ]);
    expect(JSON.stringify(res.data)).not.toContain(SECRET);
  });

  it('an unknown key is 404, a malformed one 400', async () => {
    const res = await owner.client.GET('/api/plugins/{plugin}/settings/{key}/', one('nope'));
    expect([res.response.status, res.error?.code, res.error?.details?.reason]).toEqual([
      404,
      'NOT_FOUND',
      'unknown_setting',
    ]);
    const put = await owner.client.PUT('/api/plugins/{plugin}/settings/{key}/', { ...one('nope'), body: { value: 1 } });
    expect([put.response.status, put.error?.details?.reason]).toEqual([404, 'unknown_setting']);
    const bad = await owner.client.GET('/api/plugins/{plugin}/settings/{key}/', one('Bad-Key'));
    expect([bad.response.status, bad.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
  });

  it('PUT and PATCH set one value, live in the running plugin; null goes back to the default', async () => {
    const put = await owner.client.PUT('/api/plugins/{plugin}/settings/{key}/', {
      ...one('batch_size'),
      body: { value: 200 },
    });
    expect(put.response.status, JSON.stringify(put.error)).toBe(200);
    expect(put.data).toMatchObject({ key: 'batch_size', value: 200, has_value: true });
    const running = (await t.app.get(PluginRuntime).message(installationId, { type: 'show' })) as { config: Json };
    expect(running.config.batch_size).toBe(200);
    const patch = await owner.client.PATCH('/api/plugins/{plugin}/settings/{key}/', {
      ...one('batch_size'),
      body: { value: null },
    });
    expect(patch.data).toMatchObject({ value: 50 });
    const code = await owner.client.PATCH('/api/plugins/{plugin}/settings/{key}/', {
      ...one('code'),
      body: { value: 'ABC' },
    });
    expect(code.data).toMatchObject({ value: 'ABC' });
  });

  it('each type and bound is checked: 400 PLUGIN_CONFIGURATION_ERROR on configuration.<key>, nothing stored', async () => {
    const cases: Array<[string, unknown]> = [
      ['batch_size', 0],
      ['batch_size', 501],
      ['batch_size', 1.5],
      ['ratio', -0.1],
      ['ratio', 'half'],
      ['verbose', 'yes'],
      ['region', 'Europe'],
      ['code', 'abc'],
      ['greeting', 7],
      ['api_key', 42],
    ];
    for (const [key, value] of cases) {
      const res = await owner.client.PUT('/api/plugins/{plugin}/settings/{key}/', {
        ...one(key),
        body: { value: value as never },
      });
      expect([res.response.status, res.error?.code], `${key}=${JSON.stringify(value)}`).toEqual([
        400,
        'PLUGIN_CONFIGURATION_ERROR',
      ]);
      expect(res.error!.errors.map((e) => e.field)).toEqual([`configuration.${key}`]);
    }
    for (const [key, value] of [
      ['batch_size', 500],
      ['batch_size', 1],
      ['ratio', 0],
      ['ratio', 1],
      ['verbose', true],
      ['region', 'us'],
      ['extra', { nested: [1, 'two', null] }],
    ] as Array<[string, unknown]>) {
      const res = await owner.client.PUT('/api/plugins/{plugin}/settings/{key}/', {
        ...one(key),
        body: { value: value as never },
      });
      expect(res.response.status, `${key}=${JSON.stringify(value)} ${JSON.stringify(res.error)}`).toBe(200);
    }
  });

  it('the mask written back keeps a secret; a body without value or with other fields is 400', async () => {
    const res = await owner.client.PUT('/api/plugins/{plugin}/settings/{key}/', {
      ...one('api_key'),
      body: { value: '***hidden***' },
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    const running = (await t.app.get(PluginRuntime).message(installationId, { type: 'show' })) as { config: Json };
    expect(running.config.api_key).toBe(SECRET);
    for (const body of [{}, { value: 1, other: 2 }]) {
      const bad = await owner.client.PUT('/api/plugins/{plugin}/settings/{key}/', {
        ...one('batch_size'),
        body: body as never,
      });
      expect([bad.response.status, bad.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
    }
  });

  it('an outsider gets 404 on every one of them', async () => {
    const get = await outsider.client.GET('/api/plugins/{plugin}/settings/', path);
    const getOne = await outsider.client.GET('/api/plugins/{plugin}/settings/{key}/', one('batch_size'));
    const put = await outsider.client.PUT('/api/plugins/{plugin}/settings/{key}/', {
      ...one('batch_size'),
      body: { value: 3 },
    });
    expect([get, getOne, put].map((r) => r.response.status)).toEqual([404, 404, 404]);
  });
});

describe('…/metadata/', () => {
  it('starts empty; PUT replaces, PATCH merges top-level keys', async () => {
    const empty = await owner.client.GET('/api/plugins/{plugin}/metadata/', path);
    expect(empty.data!.metadata).toEqual({});
    const put = await owner.client.PUT('/api/plugins/{plugin}/metadata/', {
      ...path,
      body: { metadata: { label: 'prod', tags: ['a'] } },
    });
    expect(put.response.status, JSON.stringify(put.error)).toBe(200);
    const patch = await owner.client.PATCH('/api/plugins/{plugin}/metadata/', {
      ...path,
      body: { metadata: { pinned: true, label: 'staging' } },
    });
    expect(patch.data!.metadata).toEqual({ label: 'staging', tags: ['a'], pinned: true });
    const again = await owner.client.PUT('/api/plugins/{plugin}/metadata/', {
      ...path,
      body: { metadata: { only: 1 } },
    });
    expect(again.data!.metadata).toEqual({ only: 1 });
  });

  it('refuses metadata over 16 KiB, a non-object, and an outsider; nothing stored', async () => {
    const big = await owner.client.PATCH('/api/plugins/{plugin}/metadata/', {
      ...path,
      body: { metadata: { a: 'x'.repeat(9000), b: 'y'.repeat(9000) } },
    });
    expect([big.response.status, big.error?.code, big.error?.details?.reason]).toEqual([
      400,
      'VALIDATION_ERROR',
      'metadata_too_large',
    ]);
    const list = await owner.client.PUT('/api/plugins/{plugin}/metadata/', {
      ...path,
      body: { metadata: [1, 2] as never },
    });
    expect([list.response.status, list.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
    let deep: Json = { leaf: 1 };
    for (let i = 0; i < 12; i++) deep = { d: deep };
    const odd = await owner.client.PATCH('/api/plugins/{plugin}/metadata/', {
      ...path,
      body: { metadata: { $where: 1, 'a.b': 2, deep } },
    });
    expect([odd.response.status, odd.error?.code, odd.error?.details?.reason]).toEqual([
      400,
      'VALIDATION_ERROR',
      'invalid_metadata',
    ]);
    expect(odd.error!.errors.map((e) => e.field)).toEqual([
      'metadata.$where',
      'metadata.a.b',
      'metadata.deep' + '.d'.repeat(7),
    ]);
    const out = await outsider.client.PUT('/api/plugins/{plugin}/metadata/', { ...path, body: { metadata: {} } });
    expect(out.response.status).toBe(404);
    expect((await owner.client.GET('/api/plugins/{plugin}/metadata/', path)).data!.metadata).toEqual({ only: 1 });
  });
});
