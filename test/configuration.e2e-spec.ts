import type { AuthUser } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { type TestApp, useTestApp } from './support/app.js';
import { rawDocuments } from './support/raw-db.js';

type Client = ReturnType<TestApp['client']>;
type User = Awaited<ReturnType<TestApp['createUser']>>;
type Json = Record<string, unknown>;

const t = useTestApp();

const REVIEWER: AuthUser = {
  id: '0000000000000000000000ab',
  email: 'reviewer@plughub.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

const KEY = 'acme.tuned';
const SECRET = 'sk-live-very-secret-value-123';
const NEW_SECRET = 'sk-live-rotated-secret-456';

/** Answers the settings it runs with (secrets included: it has secrets:read). */
const RUNNER = 'let ctx;\nexport default { onInit(c) { ctx = c; }, onMessage() { return { config: ctx.config }; } };\n';

const SETTINGS = {
  greeting: { type: 'string', default: 'Hello' },
  batch_size: { type: 'integer', min: 1, max: 500, default: 50 },
  ratio: { type: 'number', min: 0, max: 1 },
  verbose: { type: 'boolean', default: false },
  mode: { type: 'choice', choices: ['fast', 'safe', 3], default: 'safe', restart_required: true },
  extra: { type: 'json' },
  api_key: { type: 'string', secret: true, required: true },
};

let publisher: User;
let owner: User;
let outsider: User;
let installationId: string;

const path = { params: { path: { plugin: KEY } } };
const getConfig = (client: Client) => client.GET('/api/plugins/{plugin}/config/', path);
const put = (client: Client, body: Json) =>
  client.PUT('/api/plugins/{plugin}/config/', { ...path, body: body as never });
const patch = (client: Client, body: unknown) =>
  client.PATCH('/api/plugins/{plugin}/config/', { ...path, body: body as never });

async function running(): Promise<Json> {
  const reply = (await t.app.get(PluginRuntime).message(installationId, { type: 'show' })) as { config: Json };
  return reply.config;
}

beforeAll(async () => {
  publisher = await t.createUser({ email: 'pub@tuned.test', roles: ['publisher'], handle: 'acme' });
  owner = await t.createUser({ email: 'owner@tuned.test' });
  outsider = await t.createUser({ email: 'out@tuned.test' });
  const manifest = {
    key: KEY,
    name: 'Tuned',
    version: '1.0.0',
    description: 'Has one setting of every type',
    author: 'Acme Labs',
    license: 'MIT',
    runtime: { type: 'sandbox', entry: 'runner.js' },
    permissions: ['log', 'config:read', 'secrets:read', 'messages:receive'],
    settings: SETTINGS,
  };
  const pub = await publisher.client.POST('/api/plugins/', {
    body: { manifest, files: { runner: RUNNER }, scope: 'public' } as never,
  });
  expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
  await t.app.get(ModerationService).reviewVersion(REVIEWER, KEY, '1.0.0', 'approved');
  const installed = await owner.client.POST('/api/plugins/{plugin}/install/', {
    ...path,
    body: { config: { api_key: SECRET, batch_size: 10 } } as never,
  });
  expect(installed.response.status, JSON.stringify(installed.error)).toBe(201);
  installationId = (installed.data as { installation: { id: string } }).installation.id;
});

describe('GET /api/plugins/{plugin}/config/', () => {
  it('shows plain values and masks the secret; secure_fields names it', async () => {
    const res = await getConfig(owner.client);
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({
      configuration: { greeting: 'Hello', batch_size: 10, verbose: false, mode: 'safe', api_key: '***hidden***' },
      secure_fields: ['api_key'],
    });
  });

  it('is 404 for someone who cannot see the installation', async () => {
    const res = await getConfig(outsider.client);
    expect([res.response.status, res.error?.code]).toEqual([404, 'PLUGIN_NOT_FOUND']);
  });
});

describe('PATCH and PUT …/config/', () => {
  it('PATCH changes only the given keys and the running plugin sees them at its next call', async () => {
    const res = await patch(owner.client, { greeting: 'Ahoy', ratio: 0.25 });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data).toMatchObject({
      configuration: { greeting: 'Ahoy', ratio: 0.25, batch_size: 10, api_key: '***hidden***' },
      updated_fields: ['greeting', 'ratio'],
      restart_required: false,
    });
    expect(await running()).toMatchObject({ greeting: 'Ahoy', ratio: 0.25, api_key: SECRET });
  });

  it('writing back the masked answer keeps the stored secret and changes nothing', async () => {
    const shown = (await getConfig(owner.client)).data!.configuration;
    const res = await put(owner.client, shown);
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data!.updated_fields).toEqual([]);
    expect((await running()).api_key).toBe(SECRET);
  });

  it('a new secret is sealed at rest and reaches the plugin; a restart_required change waits', async () => {
    const res = await patch(owner.client, { api_key: NEW_SECRET, mode: 'fast' });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data).toMatchObject({ updated_fields: ['mode', 'api_key'], restart_required: true });
    expect(await running()).toMatchObject({ api_key: NEW_SECRET, mode: 'safe' });
    const [doc] = await rawDocuments(t.app, 'installations', { plugin_key: KEY });
    expect(JSON.stringify(doc)).not.toContain(NEW_SECRET);
    expect(JSON.stringify(doc)).not.toContain(SECRET);
  });

  it('reports every bad field at once with its path and stores nothing', async () => {
    const before = (await getConfig(owner.client)).data;
    const res = await patch(owner.client, {
      batch_size: 0,
      ratio: 2,
      verbose: 'yes',
      mode: 'slow',
      greeting: 5,
      nope: true,
    });
    expect([res.response.status, res.error?.code, res.error?.details?.reason]).toEqual([
      400,
      'PLUGIN_CONFIGURATION_ERROR',
      'invalid_config',
    ]);
    expect(res.error!.errors.map((e) => e.field)).toEqual([
      'configuration.batch_size',
      'configuration.greeting',
      'configuration.mode',
      'configuration.nope',
      'configuration.ratio',
      'configuration.verbose',
    ]);
    expect((await getConfig(owner.client)).data).toEqual(before);
  });

  it.each([
    [{ batch_size: 1 }, true],
    [{ batch_size: 500 }, true],
    [{ batch_size: 501 }, false],
    [{ batch_size: 2.5 }, false],
    [{ ratio: 0 }, true],
    [{ ratio: 1.01 }, false],
    [{ mode: 3 }, true],
    [{ mode: '3' }, false],
    [{ extra: { deep: [1, { a: null }] } }, true],
    [{ verbose: true }, true],
  ])('bounds and types: %j accepted %s', async (body, ok) => {
    const res = await patch(owner.client, body);
    expect(res.response.status).toBe(ok ? 200 : 400);
  });

  it('a body that is not an object is 400 on the body itself', async () => {
    const res = await patch(owner.client, [1, 2]);
    expect([res.response.status, res.error?.code]).toEqual([400, 'PLUGIN_CONFIGURATION_ERROR']);
  });

  it('PUT without the required secret clears it and fails: 400 on configuration.api_key', async () => {
    const res = await put(owner.client, { greeting: 'Hi' });
    expect([res.response.status, res.error?.errors?.map((e) => e.field)]).toEqual([400, ['configuration.api_key']]);
  });

  it('only a manager of the target writes: an outsider is 404', async () => {
    const res = await patch(outsider.client, { greeting: 'x' });
    expect(res.response.status).toBe(404);
  });
});

describe('POST …/config/validate/', () => {
  it('answers what a write would change and writes nothing', async () => {
    const before = (await getConfig(owner.client)).data;
    const res = await owner.client.POST('/api/plugins/{plugin}/config/validate/', {
      params: { path: { plugin: KEY }, query: { mode: 'merge' } },
      body: { greeting: 'Checked' } as never,
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data).toMatchObject({ updated_fields: ['greeting'], configuration: { greeting: 'Checked' } });
    expect((await getConfig(owner.client)).data).toEqual(before);
  });
});

describe('secrets never leak', () => {
  it('no log line the server wrote holds a secret value', () => {
    const text = JSON.stringify(t.logs);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(NEW_SECRET);
  });
});
