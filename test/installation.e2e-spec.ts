import type { AuthUser } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { InstallationsService } from '../apps/api/src/installation/installations.service.js';
import { UsageStatsRecorder } from '../apps/api/src/metrics/usage-stats.recorder.js';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';

type Client = ReturnType<TestApp['client']>;
type User = Awaited<ReturnType<TestApp['createUser']>>;
type Json = Record<string, unknown>;

const t = useTestApp();

const REVIEWER: AuthUser = {
  id: '0000000000000000000000aa',
  email: 'reviewer@plughub.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

const RUNNER = 'export default { onMessage(m) { return { echo: m.data }; } };\n';

const manifest = (key: string, version: string, extra: Json = {}): Json => ({
  key,
  name: `Plugin ${key}`,
  version,
  description: `Does ${key} things`,
  author: 'Acme Labs',
  license: 'MIT',
  runtime: { type: 'sandbox', entry: 'runner.js' },
  permissions: ['log', 'messages:receive'],
  ...extra,
});

const plugin = (key: string) => ({ params: { path: { plugin: key } } });
const inTarget = (key: string, query: Json) => ({ params: { path: { plugin: key }, query: query as never } });

let admin: Client;
let publisher: User;
let owner: User;
let member: User;
let outsider: User;

/** Publishes key@version publicly and approves it. */
async function release(key: string, version: string, extra: Json = {}, runner = RUNNER): Promise<void> {
  const pub = await publisher.client.POST('/api/plugins/', {
    body: { manifest: manifest(key, version, extra), files: { runner }, scope: 'public', owner_org: 'acme' } as never,
  });
  expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
  await t.app.get(ModerationService).reviewVersion(REVIEWER, key, version, 'approved');
}

const install = (client: Client, key: string, body: Json = {}, query: Json = {}, headers?: Record<string, string>) =>
  client.POST('/api/plugins/{plugin}/install/', {
    params: { path: { plugin: key }, query: query as never, header: headers as never },
    body: body as never,
    headers,
  });

beforeAll(async () => {
  admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
  publisher = await t.createUser({ email: 'pub@acme.test', roles: ['publisher'] });
  owner = await t.createUser({ email: 'owner@acme.test' });
  member = await t.createUser({ email: 'member@acme.test' });
  outsider = await t.createUser({ email: 'out@else.test' });
  expect((await owner.client.POST('/api/orgs/', { body: { slug: 'acme', name: 'Acme' } })).response.status).toBe(201);
  const added = await admin.POST('/api/orgs/{org}/members/', {
    params: { path: { org: 'acme' } },
    body: { user: member.id },
  });
  expect(added.response.status).toBe(201);
  // acme.* keys are the organisation's (a key's publisher segment is its owner's name): the publisher manages it.
  const publishing = await admin.POST('/api/orgs/{org}/members/', {
    params: { path: { org: 'acme' } },
    body: { user: publisher.id, role: 'admin' },
  });
  expect(publishing.response.status).toBe(201);

  await release('acme.base', '1.0.0');
  await release('acme.base', '1.1.0');
  await release('acme.mid', '1.0.0', { dependencies: { 'acme.base': '^1.0.0' } });
  await release('acme.top', '1.0.0', { dependencies: { 'acme.mid': '^1.0.0' } });
  await release('acme.pinned', '1.0.0', { dependencies: { 'acme.base': '~1.0.0' } });
  await release('acme.future', '1.0.0', { engines: { plughub: '>=99.0.0' } });
  await release('acme.greedy', '1.0.0', { dependencies: { 'acme.base': '^2.0.0' } });
  await release('acme.broken', '1.0.0', {}, 'export default { onInit() { throw new Error("no database"); } };\n');
  await release('acme.asks', '1.0.0', {
    permissions: ['log', 'config:read'],
    settings: {
      level: { type: 'integer', min: 1, max: 5, default: 1 },
      token: { type: 'string', secret: true, required: true },
    },
  });
});

describe('the sample plugins, installed and activated, answer through the runtime', () => {
  it('hello greets with its configured greeting', async () => {
    const res = await install(member.client, 'plughub.hello', { config: { greeting: 'Ahoy' } });
    expect(res.response.status).toBe(201);
    const installation = res.data!.installation!;
    expect(installation).toMatchObject({
      plugin: 'plughub.hello',
      status: 'active',
      active: true,
      source: 'builtin',
      target: { scope: 'user', user_id: member.id, org_id: null },
      execution_count: 0,
      error_count: 0,
      last_error: null,
      update_available: false,
    });
    expect(installation.grants).toEqual(['log', 'config:read', 'events:emit', 'messages:receive']);
    const answer = await t.app.get(PluginRuntime).message(installation.runtime_id, {
      type: 'greet',
      data: { name: 'Ada' },
    });
    expect(answer).toMatchObject({ text: 'Ahoy, Ada!' });
  });

  it('counts its calls in the usage fields once the metrics module flushes them', async () => {
    const [hello] = (await member.client.GET('/api/installations/', { params: { query: { plugin: 'plughub.hello' } } }))
      .data!.results;
    await t.app.get(UsageStatsRecorder).flush();
    const before = (await member.client.GET('/api/installations/{id}/', { params: { path: { id: hello.id } } })).data!;
    const runtime = t.app.get(PluginRuntime);
    await runtime.message(hello.runtime_id, { type: 'ping' });
    await expect(runtime.message(hello.runtime_id, { type: 'nonsense' })).rejects.toThrow();
    await t.app.get(UsageStatsRecorder).flush();
    const after = (await member.client.GET('/api/installations/{id}/', { params: { path: { id: hello.id } } })).data!;
    expect([after.execution_count - before.execution_count, after.error_count - before.error_count]).toEqual([2, 1]);
    expect(after.last_used).not.toBeNull();
    expect(after.last_error).not.toBeNull();
    expect(after.avg_execution_time_ms).toBeCloseTo(after.total_execution_time_ms / after.execution_count);
  });

  it('counter keeps its secret setting out of every answer and hands it to the runtime', async () => {
    const missing = await install(member.client, 'plughub.counter');
    expect(missing.error).toMatchObject({
      code: 'PLUGIN_CONFIGURATION_ERROR',
      details: { reason: 'missing_required_settings' },
    });
    const res = await install(member.client, 'plughub.counter', { config: { admin_token: 's3cret-token', step: 2 } });
    expect(res.response.status).toBe(201);
    const installation = res.data!.installation!;
    expect(installation.config).toEqual({ step: 2, max_value: 1000000, admin_token: '***hidden***' });
    expect(JSON.stringify(res.data)).not.toContain('s3cret-token');
    const fetched = await member.client.GET('/api/installations/{id}/', { params: { path: { id: installation.id } } });
    expect(JSON.stringify(fetched.data)).not.toContain('s3cret-token');
    expect(t.logs.some((l) => JSON.stringify(l).includes('s3cret-token'))).toBe(false);
    const runtime = t.app.get(PluginRuntime);
    const first = await runtime.message(installation.runtime_id, { type: 'increment', data: { name: 'a' } });
    expect(first).toMatchObject({ value: 2 });
  });

  it('webhook-relay starts with its required URL', async () => {
    const res = await install(member.client, 'plughub.webhook-relay', {
      config: { webhook_url: 'https://hooks.example.com/plughub' },
    });
    expect([res.response.status, res.data?.installation?.status]).toEqual([201, 'active']);
  });
});

describe('install: resolution and its errors', () => {
  it('answers the plan of a dry run and changes nothing', async () => {
    const res = await install(outsider.client, 'acme.top', { dry_run: true });
    expect(res.response.status).toBe(200);
    expect(res.data!.dry_run).toBe(true);
    expect(res.data!.plan.steps.map((s) => [s.plugin, s.from_version, s.to_version, s.action])).toEqual([
      ['acme.base', null, '1.1.0', 'install'],
      ['acme.mid', null, '1.0.0', 'install'],
      ['acme.top', null, '1.0.0', 'install'],
    ]);
    expect(res.data!.plan.steps[0].capabilities).toEqual(['log', 'messages:receive']);
    const mine = await outsider.client.GET('/api/installations/');
    expect(mine.data!.count).toBe(0);
  });

  it.each([
    ['acme.nothing', {}, 404, 'PLUGIN_NOT_FOUND', 'unknown_plugin'],
    ['acme.base', { version: '^3.0.0' }, 404, 'PLUGIN_NOT_FOUND', 'no_matching_version'],
    ['acme.future', {}, 400, 'PLUGIN_INCOMPATIBLE', 'platform_mismatch'],
    ['acme.greedy', {}, 409, 'PLUGIN_DEPENDENCY_ERROR', 'not_found'],
    ['acme.base', { grants: ['storage:write'] }, 400, 'VALIDATION_ERROR', 'grant_not_requested'],
    ['acme.base', { source: 'url' }, 400, 'VALIDATION_ERROR', 'source_fields'],
    ['acme.base', { scope: 'global' }, 403, 'FORBIDDEN', 'not_manager'],
    ['acme.asks', { config: { level: 9, token: 1 } }, 400, 'PLUGIN_CONFIGURATION_ERROR', 'invalid_config'],
  ] as const)('%s with %o → %i %s %s', async (key, body, status, code, reason) => {
    const res = await install(outsider.client, key, body);
    expect([res.response.status, res.error?.code, res.error?.details?.reason]).toEqual([status, code, reason]);
  });

  it('names every bad setting at once', async () => {
    const res = await install(outsider.client, 'acme.asks', { config: { level: 9, token: 1, nope: true } });
    expect(res.error!.errors.map((e) => e.field).sort()).toEqual(['config.level', 'config.nope', 'config.token']);
  });

  it('never raises an installed dependency beyond what another installed plugin needs', async () => {
    const first = await install(outsider.client, 'acme.pinned');
    expect(first.response.status).toBe(201);
    expect(first.data!.installations.map((i) => [i.plugin, i.installed_version])).toEqual([
      ['acme.base', '1.0.0'],
      ['acme.pinned', '1.0.0'],
    ]);
    const conflict = await install(outsider.client, 'acme.base', { version: '1.1.0', force_reinstall: true });
    expect(conflict.error).toMatchObject({ code: 'PLUGIN_DEPENDENCY_ERROR', details: { reason: 'unsatisfiable' } });
    expect(JSON.stringify(conflict.error!.details)).toContain('acme.pinned');
  });

  it('refuses a second install in the same target unless force_reinstall', async () => {
    const again = await install(outsider.client, 'acme.pinned');
    expect(again.error).toMatchObject({ code: 'PLUGIN_ALREADY_INSTALLED', details: { reason: 'already_installed' } });
    const forced = await install(outsider.client, 'acme.pinned', { force_reinstall: true });
    expect([forced.response.status, forced.data!.installation!.status]).toEqual([201, 'active']);
  });

  it('answers 500 PLUGIN_STARTUP_FAILED with the plugin’s message when onInit fails, leaving it failed', async () => {
    const res = await install(outsider.client, 'acme.broken');
    expect(res.error).toMatchObject({ code: 'PLUGIN_STARTUP_FAILED', details: { reason: 'startup_failed' } });
    expect(res.error!.message).toContain('no database');
    const listed = await outsider.client.GET('/api/installations/', { params: { query: { plugin: 'acme.broken' } } });
    expect(listed.data!.results.map((i) => i.status)).toEqual(['failed']);
    const status = await admin.GET('/api/plugins/status/');
    expect(status.data!.registry_errors).toContainEqual(
      expect.objectContaining({ stage: 'startup', name: 'acme.broken' }),
    );
  });

  it('installs disabled with auto_enable false, and a required setting is then not needed', async () => {
    const res = await install(outsider.client, 'acme.asks', { auto_enable: false });
    expect([res.response.status, res.data!.installation!.status]).toEqual([201, 'disabled']);
    const start = await outsider.client.POST('/api/plugins/{plugin}/enable/', { ...plugin('acme.asks'), body: {} });
    expect(start.error).toMatchObject({
      code: 'PLUGIN_CONFIGURATION_ERROR',
      details: { reason: 'missing_required_settings' },
    });
    expect(JSON.stringify(start.error)).toContain('token');
  });
});

describe('a plugin with two levels of dependencies, installed for an organisation, used by a member', () => {
  let topId: string;

  it('is installed with its dependencies by an org owner', async () => {
    const res = await install(owner.client, 'acme.top', {}, { scope: 'org', org: 'acme' });
    expect(res.response.status).toBe(201);
    expect(res.data!.installations.map((i) => [i.plugin, i.status, i.target.scope])).toEqual([
      ['acme.base', 'active', 'org'],
      ['acme.mid', 'active', 'org'],
      ['acme.top', 'active', 'org'],
    ]);
    topId = res.data!.installation!.id;
  });

  it('is refused to a plain member (403) and invisible to outsiders (404)', async () => {
    const byMember = await install(member.client, 'acme.base', {}, { scope: 'org', org: 'acme' });
    expect(byMember.error).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_manager' } });
    const byOutsider = await install(outsider.client, 'acme.base', {}, { scope: 'org', org: 'acme' });
    expect(byOutsider.error!.code).toBe('NOT_FOUND');
    const get = await outsider.client.GET('/api/installations/{id}/', { params: { path: { id: topId } } });
    expect(get.error!.code).toBe('NOT_FOUND');
  });

  it('is in the member’s effective set and answers them through the runtime', async () => {
    const mine = await member.client.GET('/api/my/plugins/');
    const top = mine.data!.results.find((i) => i.plugin === 'acme.top')!;
    expect(top).toMatchObject({
      id: topId,
      target: { scope: 'org' },
      effective: { active: true, overridden_by: null },
    });
    const entry = await t.app.get(InstallationsService).effectiveFor(member.id, 'acme.top');
    expect(entry!.installation.id).toBe(topId);
    const answer = await t.app.get(PluginRuntime).message(top.runtime_id, { type: 'ping', data: 42 });
    expect(answer).toEqual({ echo: 42 });
  });

  it('is listed for the organisation and in the catalog as installed for its members', async () => {
    const org = await member.client.GET('/api/org/plugins/', { params: { query: { org: 'acme' } } });
    expect(org.data!.results.map((i) => i.plugin)).toEqual(['acme.base', 'acme.mid', 'acme.top']);
    const detail = await member.client.GET('/api/plugins/{plugin}/', plugin('acme.top'));
    expect(detail.data).toMatchObject({ is_installed: true, active: true, installation: { scope: 'org' } });
    expect(detail.data!.stats.installations).toBe(1);
    const listed = await member.client.GET('/api/plugins/', {
      params: { query: { installed: true, search: 'acme.' } },
    });
    expect(listed.data!.results.map((p) => p.key).sort()).toEqual(['acme.base', 'acme.mid', 'acme.top']);
    const base = await outsider.client.GET('/api/plugins/{plugin}/', plugin('acme.base'));
    expect(base.data!.stats.installations).toBe(2);
  });

  it('refuses to uninstall a dependency while installed plugins need it, unless force', async () => {
    const q = inTarget('acme.base', { scope: 'org', org: 'acme' });
    const refused = await owner.client.DELETE('/api/plugins/{plugin}/install/', q);
    expect(refused.error).toMatchObject({
      code: 'PLUGIN_DEPENDENCY_ERROR',
      details: { reason: 'installed_dependents' },
    });
    expect(JSON.stringify(refused.error!.details)).toContain('acme.mid');
    const unpublish = await publisher.client.DELETE('/api/plugins/{plugin}/', plugin('acme.base'));
    expect(unpublish.response.status).toBe(409);
  });

  it('an org disable overrides the member’s own installation', async () => {
    expect((await install(member.client, 'acme.mid')).response.status).toBe(201);
    const off = await owner.client.DELETE('/api/org/plugins/{plugin}/disable/', {
      params: { path: { plugin: 'acme.mid' }, query: { org: 'acme' } },
    });
    expect(off.data!.status).toBe('disabled');
    const mine = await member.client.GET('/api/my/plugins/');
    const mid = mine.data!.results.find((i) => i.plugin === 'acme.mid')!;
    expect(mid.effective).toMatchObject({ active: false, overridden_by: { scope: 'org' } });
    const on = await owner.client.POST('/api/org/plugins/{plugin}/enable/', {
      params: { path: { plugin: 'acme.mid' }, query: { org: 'acme' } },
      body: {},
    });
    expect([on.response.status, on.data!.status]).toEqual([200, 'active']);
  });

  it('org enable installs what is not installed yet (201)', async () => {
    const on = await owner.client.POST('/api/org/plugins/{plugin}/enable/', {
      params: { path: { plugin: 'plughub.hello' }, query: { org: 'acme' } },
      body: {},
    });
    expect([on.response.status, on.data!.status, on.data!.target.scope]).toEqual([201, 'active', 'org']);
    const byMember = await member.client.POST('/api/org/plugins/{plugin}/enable/', {
      params: { path: { plugin: 'plughub.hello' }, query: { org: 'acme' } },
      body: {},
    });
    expect(byMember.error).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_manager' } });
  });
});

describe('the state machine', () => {
  let user: User;
  const key = 'acme.base';

  beforeAll(async () => {
    user = await t.createUser({ email: 'states@acme.test' });
    expect((await install(user.client, key)).response.status).toBe(201);
  });

  it('enable on an active installation is 409 invalid_state', async () => {
    const res = await user.client.POST('/api/plugins/{plugin}/enable/', { ...plugin(key), body: {} });
    expect(res.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'invalid_state' } });
  });

  it('PUT …/uninstall/ on an active installation is 409 deactivate_first', async () => {
    const res = await user.client.PUT('/api/plugins/{plugin}/uninstall/', { ...plugin(key), body: {} });
    expect(res.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'deactivate_first' } });
  });

  it('disable stops it in the runtime, enable and restart bring it back', async () => {
    const off = await user.client.POST('/api/plugins/{plugin}/disable/', {
      ...plugin(key),
      body: { reason: 'maintenance' },
    });
    expect(off.data).toMatchObject({ status: 'disabled', active: false, status_reason: 'maintenance' });
    expect(t.app.get(PluginRuntime).status(off.data!.runtime_id)).toBeUndefined();
    const again = await user.client.POST('/api/plugins/{plugin}/disable/', { ...plugin(key), body: {} });
    expect(again.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'invalid_state' } });
    const on = await user.client.POST('/api/plugins/{plugin}/enable/', { ...plugin(key), body: {} });
    expect(on.data!.status).toBe('active');
    const restarted = await user.client.POST('/api/plugins/{plugin}/restart/', { ...plugin(key), body: {} });
    expect([restarted.data!.status, restarted.data!.runtime_state]).toEqual(['active', 'ready']);
  });

  it('activate is idempotent in both directions (PUT and PATCH)', async () => {
    const off = await user.client.PATCH('/api/plugins/{plugin}/activate/', { ...plugin(key), body: { active: false } });
    expect(off.data!.status).toBe('disabled');
    const offAgain = await user.client.PUT('/api/plugins/{plugin}/activate/', {
      ...plugin(key),
      body: { active: false },
    });
    expect(offAgain.data!.status).toBe('disabled');
  });

  it('PUT …/uninstall/ removes a deactivated installation', async () => {
    const res = await user.client.PUT('/api/plugins/{plugin}/uninstall/', {
      ...plugin(key),
      body: { delete_config: true },
    });
    expect(res.data).toMatchObject({ plugin: key, delete_config: true });
    const gone = await user.client.POST('/api/plugins/{plugin}/enable/', { ...plugin(key), body: {} });
    expect(gone.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { reason: 'not_installed' } });
  });

  it('DELETE …/install/ deactivates and uninstalls in one call', async () => {
    const installed = await install(user.client, key);
    const runtimeId = installed.data!.installation!.runtime_id;
    const res = await user.client.DELETE('/api/plugins/{plugin}/install/', plugin(key));
    expect(res.data!.plugin).toBe(key);
    expect(t.app.get(PluginRuntime).status(runtimeId)).toBeUndefined();
    expect((await user.client.GET('/api/installations/')).data!.count).toBe(0);
  });

  it('PATCH …/uninstall/ with delete_config false keeps settings for the next install', async () => {
    await install(user.client, 'acme.asks', { config: { level: 3, token: 'keep-me' } });
    await user.client.POST('/api/plugins/{plugin}/disable/', { ...plugin('acme.asks'), body: {} });
    const res = await user.client.PATCH('/api/plugins/{plugin}/uninstall/', {
      ...plugin('acme.asks'),
      body: { delete_config: false },
    });
    expect(res.data!.delete_config).toBe(false);
    const back = await install(user.client, 'acme.asks');
    expect([back.response.status, back.data!.installation!.config]).toEqual([201, { level: 3, token: '***hidden***' }]);
  });
});

describe('listing installations', () => {
  it('shows platform admins every installation, others those of their targets', async () => {
    const all = await admin.GET('/api/installations/', { params: { query: { limit: 100 } } });
    const users = new Set(all.data!.results.map((i) => i.target.user_id).filter(Boolean));
    expect(users.size).toBeGreaterThan(1);
    const mine = await outsider.client.GET('/api/installations/', { params: { query: { limit: 100 } } });
    expect(mine.data!.results.every((i) => i.target.user_id === outsider.id)).toBe(true);
    const orgs = await admin.GET('/api/installations/', { params: { query: { scope: 'org', org: 'acme' } } });
    expect(orgs.data!.results.every((i) => i.target.scope === 'org')).toBe(true);
    const failed = await admin.GET('/api/installations/', { params: { query: { status: 'failed' } } });
    expect(failed.data!.results.map((i) => i.plugin)).toEqual(['acme.broken']);
  });

  it('answers 400 naming a bad filter', async () => {
    const bad = await admin.GET('/api/installations/', { params: { query: { status: 'sleeping' as never } } });
    expect(bad.error!.errors.map((e) => e.field)).toEqual(['status']);
  });
});

describe('reload and status', () => {
  it('are for platform admins only', async () => {
    expect((await member.client.GET('/api/plugins/status/')).error!.code).toBe('FORBIDDEN');
    expect((await member.client.POST('/api/plugins/reload/', { body: {} })).error!.code).toBe('FORBIDDEN');
  });

  it('brings back an installation whose instance went away, as the start-up load does', async () => {
    const res = await install(admin, 'plughub.hello', {}, { scope: 'global' });
    const id = res.data!.installation!.runtime_id;
    const runtime = t.app.get(PluginRuntime);
    await runtime.stop(id, 'test');
    const reload = await admin.POST('/api/plugins/reload/', { body: {} });
    expect(reload.data!.loaded).toBe(1);
    expect(runtime.status(id)?.state).toBe('ready');
    const status = await admin.GET('/api/plugins/status/');
    expect(status.data!.active_plugins).toBe(runtime.list().filter((s) => s.state === 'ready').length);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer and refuses the key for another request', async () => {
    const user = await t.createUser({ email: 'retry@acme.test' });
    const headers = { 'Idempotency-Key': 'install-base-1' };
    const first = await install(user.client, 'acme.base', {}, {}, headers);
    const second = await install(user.client, 'acme.base', {}, {}, headers);
    expect(first.response.status).toBe(201);
    expect([second.response.status, second.response.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect(second.data!.installation!.id).toBe(first.data!.installation!.id);
    const other = await install(user.client, 'acme.base', { version: '1.0.0' }, {}, headers);
    expect(other.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'idempotency_key_reused' } });
    const fresh = await install(user.client, 'acme.base', {}, {}, { 'Idempotency-Key': 'install-base-2' });
    expect(fresh.error!.code).toBe('PLUGIN_ALREADY_INSTALLED');
  });
});
