import type { AuthUser } from '@app/common';
import { CAPABILITIES } from '@app/plugin-sdk';
import { PluginRuntime, RuntimeError } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { type TestApp, useTestApp } from './support/app.js';
import { rawDocuments } from './support/raw-db.js';

type Client = ReturnType<TestApp['client']>;
type User = Awaited<ReturnType<TestApp['createUser']>>;
type Json = Record<string, unknown>;

const t = useTestApp();

const REVIEWER: AuthUser = {
  id: '0000000000000000000000ac',
  email: 'reviewer@guarded.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

const KEY = 'acme.guarded';
const SECRET = 'sk-guarded-secret-value-789';

/** Uses each capability on demand and answers what happened (a refused capability answers its error's name). */
const RUNNER = `let ctx, inits = 0;
export default {
  onInit(c) { ctx = c; inits++; },
  async onMessage(m) {
    try {
      if (m.type === 'set') { await ctx.storage.set('k', m.data); return { ok: true, inits }; }
      if (m.type === 'config') return { config: ctx.config, inits };
      if (m.type === 'hold') { globalThis.held = Array.from({ length: m.data }, (_, i) => ({ i })); return { ok: true, inits }; }
      if (m.type === 'allocate') { const a = []; for (let i = 0; i < m.data; i++) a.push({ i }); return { ok: a.length, inits }; }
      return { unknown: m.type };
    } catch (e) { return { error: e.name, inits }; }
  },
};
`;

const REQUESTED = ['log', 'config:read', 'secrets:read', 'storage:read', 'storage:write', 'messages:receive'];
const GRANTED = ['log', 'config:read', 'storage:read', 'storage:write', 'messages:receive'];

let publisher: User;
let owner: User;
let outsider: User;
let installationId: string;

const path = { params: { path: { plugin: KEY } } };
const getPermissions = (client: Client) => client.GET('/api/plugins/{plugin}/permissions/', path);
const put = (client: Client, body: unknown) =>
  client.PUT('/api/plugins/{plugin}/permissions/', { ...path, body: body as never });
const send = (type: string, data?: unknown) =>
  t.app.get(PluginRuntime).message(installationId, { type, data }) as Promise<Json>;

function manifest(version: string, permissions: unknown[]) {
  return {
    key: KEY,
    name: 'Guarded',
    version,
    description: 'Uses each capability it is granted',
    author: 'Acme Labs',
    license: 'MIT',
    runtime: { type: 'sandbox', entry: 'runner.js' },
    permissions,
    settings: { api_key: { type: 'string', secret: true }, greeting: { type: 'string', default: 'Hi' } },
  };
}

async function publish(version: string, permissions: unknown[]): Promise<void> {
  const pub = await publisher.client.POST('/api/plugins/', {
    body: { manifest: manifest(version, permissions), files: { runner: RUNNER }, scope: 'public' } as never,
  });
  expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
  await t.app.get(ModerationService).reviewVersion(REVIEWER, KEY, version, 'approved');
}

beforeAll(async () => {
  publisher = await t.createUser({ email: 'pub@guarded.test', roles: ['publisher'], handle: 'acme' });
  owner = await t.createUser({ email: 'owner@guarded.test' });
  outsider = await t.createUser({ email: 'out@guarded.test' });
  await publish('1.0.0', REQUESTED);
  const installed = await owner.client.POST('/api/plugins/{plugin}/install/', {
    ...path,
    body: { version: '1.0.0', config: { api_key: SECRET }, grants: GRANTED } as never,
  });
  expect(installed.response.status, JSON.stringify(installed.error)).toBe(201);
  installationId = (installed.data as { installation: { id: string } }).installation.id;
});

describe('GET /api/permissions/', () => {
  it('lists the SDK capability catalogue with risk, what each provides and its parameters', async () => {
    const res = await owner.client.GET('/api/permissions/', { params: { query: { limit: 100 } } });
    expect(res.response.status).toBe(200);
    expect(res.data!.count).toBe(CAPABILITIES.length);
    expect(res.data!.results.map((c) => c.id)).toEqual([...CAPABILITIES]);
    expect(res.data!.results.find((c) => c.id === 'http:external')).toMatchObject({
      risk: 'high',
      parameters: { hosts: expect.any(String) as string },
    });
    expect(res.data!.results.find((c) => c.id === 'log')!.parameters).toBeUndefined();
  });

  it('pages like every list', async () => {
    const res = await owner.client.GET('/api/permissions/', { params: { query: { limit: 2, offset: 1 } } });
    expect(res.data!.results.map((c) => c.id)).toEqual(CAPABILITIES.slice(1, 3));
  });
});

describe('GET /api/plugins/{plugin}/permissions/', () => {
  it('shows requested, granted and denied capabilities, the level and the limits it runs with', async () => {
    const res = await getPermissions(owner.client);
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data).toMatchObject({
      requested: REQUESTED,
      granted: GRANTED,
      denied: ['secrets:read'],
      pending_grants: [],
      security_level: 'high',
      sandbox_enabled: true,
      resource_limits: { memory_mb: 32, timeout_ms: 5000, max_pending: 16, storage_quota_bytes: 1048576 },
      max_resource_limits: { memory_mb: 512, timeout_ms: 300000, max_pending: 1000 },
    });
  });

  it('is 404 for someone who cannot see the installation, and so is a PUT', async () => {
    const res = await getPermissions(outsider.client);
    expect([res.response.status, res.error?.code]).toEqual([404, 'PLUGIN_NOT_FOUND']);
    const change = await put(outsider.client, { revoke: ['log'] });
    expect([change.response.status, change.error?.code]).toEqual([404, 'PLUGIN_NOT_FOUND']);
    expect((await getPermissions(owner.client)).data!.granted).toEqual(GRANTED);
  });
});

describe('PUT /api/plugins/{plugin}/permissions/ on the running plugin', () => {
  it('a revoked capability is refused at its next use, without a restart; granting it back restores it', async () => {
    expect(await send('set', 'one')).toEqual({ ok: true, inits: 1 });
    const res = await put(owner.client, { revoke: ['storage:write'] });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data).toMatchObject({
      granted: ['log', 'config:read', 'storage:read', 'messages:receive'],
      denied: ['secrets:read', 'storage:write'],
    });
    expect(await send('set', 'two')).toEqual({ error: 'PermissionDenied', inits: 1 });
    const back = await put(owner.client, { grant: ['storage:write'] });
    expect(back.response.status, JSON.stringify(back.error)).toBe(200);
    expect(await send('set', 'three')).toEqual({ ok: true, inits: 1 });
  });

  it('granting secrets:read shows the secret to the plugin from its next call', async () => {
    expect(((await send('config')).config as Json).api_key).toBeUndefined();
    const res = await put(owner.client, { grant: ['secrets:read'] });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(await send('config')).toEqual({ config: { greeting: 'Hi', api_key: SECRET }, inits: 1 });
    expect(JSON.stringify(res.data)).not.toContain(SECRET);
    await put(owner.client, { revoke: ['secrets:read'] });
    expect(await send('config')).toEqual({ config: { greeting: 'Hi' }, inits: 1 });
  });

  it('lowering memory_mb takes effect on the next call; null goes back to the default', async () => {
    const raised = await put(owner.client, { resource_limits: { memory_mb: 64, timeout_ms: 8000 } });
    expect(raised.response.status, JSON.stringify(raised.error)).toBe(200);
    expect(raised.data!.resource_limits).toMatchObject({ memory_mb: 64, timeout_ms: 8000 });
    expect(await send('hold', 50_000)).toEqual({ ok: true, inits: 1 }); // a few MB, kept
    expect(await send('allocate', 2000)).toEqual({ ok: 2000, inits: 1 });

    const lowered = await put(owner.client, { resource_limits: { memory_mb: 2 } });
    expect(lowered.response.status, JSON.stringify(lowered.error)).toBe(200);
    expect(t.app.get(PluginRuntime).status(installationId)!.limits.memory_mb).toBe(2);
    const error = await send('allocate', 2000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect([(error as RuntimeError).code, (error as RuntimeError).details.reason]).toEqual([
      'PLUGIN_MEMORY_LIMIT',
      'heap_over_limit',
    ]);

    const reset = await put(owner.client, { resource_limits: { memory_mb: null, timeout_ms: null } });
    expect(reset.response.status, JSON.stringify(reset.error)).toBe(200);
    expect(reset.data!.resource_limits).toMatchObject({ memory_mb: 32, timeout_ms: 5000 });
    const [doc] = await rawDocuments(t.app, 'installations', { plugin_key: KEY });
    expect(doc.limits).toBeNull();
  });
});

describe('PUT …/permissions/ refusals: a clear 400 and nothing stored', () => {
  async function refused(body: unknown, code: string, reason: string | undefined, fields: string[]): Promise<void> {
    const before = (await getPermissions(owner.client)).data;
    const res = await put(owner.client, body);
    expect([res.response.status, res.error?.code, res.error?.details?.reason]).toEqual([400, code, reason]);
    expect(res.error!.errors.map((e) => e.field)).toEqual(fields);
    expect((await getPermissions(owner.client)).data).toEqual(before);
  }

  it('a grant the installed version does not request', () =>
    refused(
      { grant: ['log', 'events:emit', { capability: 'http:external', hosts: ['x.example.com'] }] },
      'VALIDATION_ERROR',
      'grant_not_requested',
      ['grant.1', 'grant.2'],
    ));

  it('one request granting and revoking the same capability', () =>
    refused({ grant: ['secrets:read'], revoke: ['log', 'secrets:read'] }, 'VALIDATION_ERROR', 'granted_and_revoked', [
      'revoke.1',
    ]));

  it('a limit above the platform maximum, or not a positive integer', async () => {
    const before = (await getPermissions(owner.client)).data;
    const res = await put(owner.client, {
      resource_limits: { memory_mb: 513, timeout_ms: 0, max_pending: 1.5, storage_quota_bytes: 'big' },
    });
    expect([res.response.status, res.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
    expect(res.error!.errors.map((e) => e.field).sort()).toEqual([
      'resource_limits.max_pending',
      'resource_limits.memory_mb',
      'resource_limits.storage_quota_bytes',
      'resource_limits.timeout_ms',
    ]);
    expect((await getPermissions(owner.client)).data).toEqual(before);
  });

  it('limits that are not one object: an array (even empty), a string, a number', async () => {
    for (const resource_limits of [[], [{ memory_mb: 16 }], 'big', 16]) {
      const before = (await getPermissions(owner.client)).data;
      const res = await put(owner.client, { resource_limits });
      expect([res.response.status, res.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
      expect(res.error!.errors.map((e) => e.field)).toContain('resource_limits');
      expect((await getPermissions(owner.client)).data).toEqual(before);
    }
  });

  it('unknown fields, wrong types, an unknown capability or security level', async () => {
    const res = await put(owner.client, { grant: ['root'], revoke: 'log', security_level: 'extreme', extra: 1 });
    expect([res.response.status, res.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
    expect(res.error!.errors.map((e) => e.field).sort()).toEqual(['extra', 'grant', 'revoke', 'security_level']);
  });

  it('a security level below a granted capability, unless the same request revokes it', async () => {
    await refused({ security_level: 'low' }, 'VALIDATION_ERROR', 'above_security_level', ['security_level']);
    const medium = await put(owner.client, { security_level: 'low', revoke: ['storage:write'] });
    expect(medium.response.status, JSON.stringify(medium.error)).toBe(200);
    expect(medium.data!.security_level).toBe('low');
    await refused({ grant: ['storage:write'] }, 'VALIDATION_ERROR', 'above_security_level', ['grant.0']);
    const raised = await put(owner.client, { security_level: 'medium', grant: ['storage:write'] });
    expect(raised.data).toMatchObject({ security_level: 'medium', denied: ['secrets:read'] });
    expect(await send('set', 'four')).toEqual({ ok: true, inits: 1 });
  });
});

describe('an escalating new version', () => {
  it('installs with the new capabilities ungranted and pending, until the owner grants them', async () => {
    await publish('1.1.0', [...REQUESTED, 'events:emit']);
    const res = await owner.client.POST('/api/plugins/{plugin}/install/', {
      ...path,
      body: { version: '1.1.0', force_reinstall: true } as never,
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(201);
    const installation = (res.data as { installation: Json }).installation;
    expect(installation).toMatchObject({ installed_version: '1.1.0', pending_grants: ['events:emit'] });
    expect(installation.grants).not.toContain('events:emit');

    const shown = await getPermissions(owner.client);
    expect(shown.data).toMatchObject({
      pending_grants: ['events:emit'],
      denied: ['secrets:read', 'events:emit'],
      security_level: 'medium',
    });
    const granted = await put(owner.client, { grant: ['events:emit'] });
    expect(granted.response.status, JSON.stringify(granted.error)).toBe(200);
    expect(granted.data).toMatchObject({ pending_grants: [], denied: ['secrets:read'] });
  });
});
