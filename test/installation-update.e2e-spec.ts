import { type AuthUser, EventBus, type PlughubEvents } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoUpdater } from '../apps/api/src/installation/auto-updater.js';
import { OperationRepository } from '../apps/api/src/installation/persistence/operation.repository.js';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { type TestApp, useTestApp } from './support/app.js';

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

/** A runner that says which version answers, and optionally fails to start. */
const runner = (version: string, failing = false) =>
  `export default {${failing ? ' onInit() { throw new Error("cannot migrate"); },' : ''}` +
  ` onMessage(m) { return { version: ${JSON.stringify(version)}, greeting: m.data }; } };\n`;

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

let publisher: User;

async function release(key: string, version: string, extra: Json = {}, failing = false): Promise<void> {
  const pub = await publisher.client.POST('/api/plugins/', {
    body: {
      manifest: manifest(key, version, extra),
      files: { runner: runner(version, failing) },
      scope: 'public',
    } as never,
  });
  expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
  await t.app.get(ModerationService).reviewVersion(REVIEWER, key, version, 'approved');
  // The approval's update checks (and auto-updates) run after the review answers: wait for them.
  await t.app.get(AutoUpdater).idle();
}

const plugin = (key: string) => ({ params: { path: { plugin: key } } });
const install = (client: Client, key: string, body: Json = {}) =>
  client.POST('/api/plugins/{plugin}/install/', { ...plugin(key), body: body as never });
const update = (client: Client, key: string, body: Json = {}, headers?: Record<string, string>) =>
  client.POST('/api/plugins/{plugin}/update/', {
    params: { path: { plugin: key }, header: headers as never },
    body: body as never,
    headers,
  });
const rollback = (client: Client, key: string, body: Json = {}) =>
  client.POST('/api/plugins/{plugin}/rollback/', { ...plugin(key), body: body as never });
const ask = (runtimeId: string) => t.app.get(PluginRuntime).message(runtimeId, { type: 'hi', data: 'x' });

/** Every `name` event emitted while `fn` runs. */
async function capture<K extends keyof PlughubEvents>(
  name: K,
  fn: () => Promise<unknown>,
): Promise<PlughubEvents[K][]> {
  const seen: PlughubEvents[K][] = [];
  const off = t.app.get(EventBus).on(name, (e) => void seen.push(e));
  try {
    await fn();
  } finally {
    off();
  }
  return seen;
}

beforeAll(async () => {
  publisher = await t.createUser({ email: 'pub@update.test', roles: ['publisher'], handle: 'upd' });
  await release('upd.dep', '1.0.0');
  await release('upd.app', '1.0.0', { settings: { greeting: { type: 'string', default: 'Hi' } } });
});

describe('update, backups and rollback', () => {
  let user: User;
  let runtimeId: string;
  let backupId: string;

  beforeAll(async () => {
    user = await t.createUser({ email: 'updater@update.test' });
    const res = await install(user.client, 'upd.app', { config: { greeting: 'Ahoy' } });
    expect(res.response.status).toBe(201);
    runtimeId = res.data!.installation!.runtime_id;
    // 1.1.0 needs a dependency and asks for one more capability.
    await release('upd.app', '1.1.0', {
      dependencies: { 'upd.dep': '^1.0.0' },
      permissions: ['log', 'messages:receive', 'config:read'],
      settings: { greeting: { type: 'string', default: 'Hi' }, loud: { type: 'boolean', default: false } },
    });
  });

  it('moves to the new version with its dependency, keeps a backup and leaves new capabilities pending', async () => {
    const updated = await capture('plugin.updated', async () => {
      const res = await update(user.client, 'upd.app');
      expect(res.response.status).toBe(200);
      expect(res.data).toMatchObject({
        plugin: 'upd.app',
        old_version: '1.0.0',
        new_version: '1.1.0',
        status: 'completed',
        reason: null,
        pending_grants: ['config:read'],
        installation: { installed_version: '1.1.0', status: 'active', config: { greeting: 'Ahoy', loud: false } },
      });
      expect(res.data!.installation.grants).toEqual(['log', 'messages:receive']);
      expect(res.data!.installations.map((i) => [i.plugin, i.installed_version, i.status])).toEqual([
        ['upd.dep', '1.0.0', 'active'],
        ['upd.app', '1.1.0', 'active'],
      ]);
      expect(res.data!.plan.steps.map((s) => [s.plugin, s.action])).toEqual([
        ['upd.dep', 'install'],
        ['upd.app', 'upgrade'],
      ]);
      backupId = res.data!.backup_id!;
      expect(backupId).toMatch(/^[0-9a-f]{24}$/);
    });
    expect(updated.map((e) => [e.pluginKey, e.fromVersion, e.toVersion, e.rolledBack])).toEqual([
      ['upd.app', '1.0.0', '1.1.0', false],
    ]);
    expect(await ask(runtimeId)).toMatchObject({ version: '1.1.0' });
  });

  it('lists the backup of the previous version', async () => {
    const res = await user.client.GET('/api/plugins/{plugin}/backups/', plugin('upd.app'));
    expect(res.data!.count).toBe(1);
    expect(res.data!.results[0]).toMatchObject({
      id: backupId,
      version: '1.0.0',
      config: { greeting: 'Ahoy' },
      grants: ['log', 'messages:receive'],
      source: 'store',
    });
  });

  it('is 409 up_to_date when nothing newer is there', async () => {
    const res = await update(user.client, 'upd.app');
    expect(res.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'up_to_date' } });
  });

  it('rolls back by itself when the new version does not start, and says so', async () => {
    await release('upd.app', '1.2.0', { permissions: ['log', 'messages:receive', 'config:read'] }, true);
    const bus = t.app.get(EventBus);
    const audits: PlughubEvents['audit.action'][] = [];
    const off = bus.on('audit.action', (e) => void audits.push(e));
    const updated = await capture('plugin.updated', async () => {
      const res = await update(user.client, 'upd.app', { version: '1.2.0' });
      expect(res.response.status).toBe(200);
      expect(res.data).toMatchObject({
        old_version: '1.1.0',
        new_version: '1.2.0',
        status: 'rolled_back',
        backup_id: null,
        installations: [],
        installation: { installed_version: '1.1.0', status: 'active' },
      });
      expect(res.data!.reason).toEqual(expect.any(String));
    }).finally(off);
    expect(updated.map((e) => [e.fromVersion, e.toVersion, e.rolledBack])).toEqual([['1.1.0', '1.2.0', true]]);
    expect(audits.map((a) => [a.action, a.actor.kind])).toContainEqual(['installation.update_rolled_back', 'system']);
    expect(await ask(runtimeId)).toMatchObject({ version: '1.1.0' });
    const backups = await user.client.GET('/api/plugins/{plugin}/backups/', plugin('upd.app'));
    expect(backups.data!.results.map((b) => b.id)).toEqual([backupId]);
  });

  it('goes back to a backup: its version, settings and grants; the backup is used up', async () => {
    const res = await rollback(user.client, 'upd.app', { backup_id: backupId });
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({
      old_version: '1.1.0',
      new_version: '1.0.0',
      status: 'completed',
      pending_grants: [],
      installation: {
        installed_version: '1.0.0',
        status: 'active',
        config: { greeting: 'Ahoy' },
        grants: ['log', 'messages:receive'],
        dependencies: {},
      },
    });
    expect(await ask(runtimeId)).toMatchObject({ version: '1.0.0' });
    const backups = await user.client.GET('/api/plugins/{plugin}/backups/', plugin('upd.app'));
    expect(backups.data!.count).toBe(0);
    const again = await rollback(user.client, 'upd.app', {});
    expect(again.error).toMatchObject({ code: 'NOT_FOUND', details: { reason: 'backup_not_found' } });
  });

  it('with restart_plugin false leaves an active installation disabled on the new version', async () => {
    const res = await update(user.client, 'upd.app', {
      version: '1.1.0',
      restart_plugin: false,
      backup_current: false,
    });
    expect(res.data).toMatchObject({
      status: 'completed',
      backup_id: null,
      installation: { installed_version: '1.1.0', status: 'disabled', enabled: false },
    });
    expect(t.app.get(PluginRuntime).status(runtimeId)).toBeUndefined();
  });

  it('with update_config resets plain settings to the new defaults, and config sets values', async () => {
    await release('upd.app', '1.3.0', { settings: { greeting: { type: 'string', default: 'Hello' } } });
    const res = await update(user.client, 'upd.app', { version: '1.3.0', update_config: true });
    expect(res.data!.installation.config).toEqual({ greeting: 'Hello' });
    const bad = await update(user.client, 'upd.app', { version: '1.1.0', config: { loud: 'very' } });
    expect(bad.error).toMatchObject({ code: 'PLUGIN_CONFIGURATION_ERROR', details: { reason: 'invalid_config' } });
  });

  it('replays the first answer to the same Idempotency-Key', async () => {
    const headers = { 'Idempotency-Key': 'update-upd-app-1' };
    const first = await update(user.client, 'upd.app', { version: '1.1.0' }, headers);
    const second = await update(user.client, 'upd.app', { version: '1.1.0' }, headers);
    expect(first.data!.status).toBe('completed');
    expect([second.response.status, second.response.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    expect(second.data!.backup_id).toBe(first.data!.backup_id);
  });
});

describe('update and rollback errors', () => {
  let user: User;

  beforeAll(async () => {
    user = await t.createUser({ email: 'errors@update.test' });
    await release('upd.lib', '1.0.0');
    await release('upd.lib', '2.0.0');
    await release('upd.needs', '1.0.0', { dependencies: { 'upd.lib': '^2.0.0' } });
    await release('upd.needs', '2.0.0', { dependencies: { 'upd.missing': '^1.0.0' } });
  });

  it('is 404 not_installed for a plugin not installed in the target', async () => {
    const res = await update(user.client, 'upd.lib');
    expect(res.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { reason: 'not_installed' } });
    const back = await rollback(user.client, 'upd.lib');
    expect(back.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { reason: 'not_installed' } });
    const list = await user.client.GET('/api/plugins/{plugin}/backups/', plugin('upd.lib'));
    expect(list.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { reason: 'not_installed' } });
  });

  it('answers 400 naming a bad body field', async () => {
    const res = await update(user.client, 'upd.lib', { backup_current: 'yes' });
    expect(res.error!.errors.map((e) => e.field)).toEqual(['backup_current']);
    const bad = await rollback(user.client, 'upd.lib', { backup_id: 'latest' });
    expect(bad.error!.errors.map((e) => e.field)).toEqual(['backup_id']);
  });

  it('refuses a rollback that installed dependents rule out, naming them', async () => {
    const old = await install(user.client, 'upd.lib', { version: '1.0.0' });
    expect(old.data!.installation).toMatchObject({ update_available: true, available_version: '2.0.0' });
    const up = await update(user.client, 'upd.lib', { version: '2.0.0' });
    expect(up.data).toMatchObject({
      status: 'completed',
      installation: { update_available: false, available_version: null },
    });
    expect((await install(user.client, 'upd.needs', { version: '1.0.0' })).response.status).toBe(201);
    const res = await rollback(user.client, 'upd.lib', {});
    expect(res.error).toMatchObject({ code: 'PLUGIN_DEPENDENCY_ERROR', details: { reason: 'rollback_conflict' } });
    expect(JSON.stringify(res.error!.details)).toContain('upd.needs');
  });

  it('maps resolution failures like an install', async () => {
    const none = await update(user.client, 'upd.lib', { version: '^7.0.0' });
    expect(none.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { reason: 'no_matching_version' } });
    const dependency = await update(user.client, 'upd.needs', { version: '2.0.0' });
    expect(dependency.error).toMatchObject({ code: 'PLUGIN_DEPENDENCY_ERROR', details: { reason: 'not_found' } });
    const pinned = await update(user.client, 'upd.lib', { version: '1.0.0' });
    expect(pinned.error).toMatchObject({ code: 'PLUGIN_DEPENDENCY_ERROR', details: { reason: 'unsatisfiable' } });
  });

  it('leaves the installations as they were and the journal empty after every one of them', async () => {
    expect(await t.app.get(OperationRepository).count()).toBe(0);
    const listed = await user.client.GET('/api/installations/');
    expect(listed.data!.results.map((i) => [i.plugin, i.installed_version, i.status]).sort()).toEqual([
      ['upd.lib', '2.0.0', 'active'],
      ['upd.needs', '1.0.0', 'active'],
    ]);
  });
});

describe('update availability and auto-update', () => {
  let eager: User;
  let wary: User;

  beforeAll(async () => {
    eager = await t.createUser({ email: 'eager@update.test' });
    wary = await t.createUser({ email: 'wary@update.test' });
    await release('upd.auto', '1.0.0');
    const a = await install(eager.client, 'upd.auto', { auto_update: true });
    const b = await install(wary.client, 'upd.auto');
    expect([a.data!.installation!.auto_update, b.data!.installation!.auto_update]).toEqual([true, false]);
  });

  const mine = async (client: Client) => (await client.GET('/api/installations/')).data!.results[0];

  it('an approved compatible version is installed by itself where auto_update is on, and recorded as system', async () => {
    const bus = t.app.get(EventBus);
    const updated: PlughubEvents['plugin.updated'][] = [];
    const audits: PlughubEvents['audit.action'][] = [];
    const offs = [
      bus.on('plugin.updated', (e) => void updated.push(e)),
      bus.on('audit.action', (e) => void audits.push(e)),
    ];
    await release('upd.auto', '1.1.0').finally(() => offs.forEach((off) => off()));
    expect(await mine(eager.client)).toMatchObject({
      installed_version: '1.1.0',
      status: 'active',
      update_available: false,
      available_version: null,
    });
    expect(updated.map((e) => [e.pluginKey, e.toVersion, e.actor.kind])).toEqual([['upd.auto', '1.1.0', 'system']]);
    expect(audits.map((a) => [a.action, a.actor.kind, a.outcome])).toEqual([
      ['installation.auto_updated', 'system', 'success'],
    ]);
    const backups = await eager.client.GET('/api/plugins/{plugin}/backups/', plugin('upd.auto'));
    expect(backups.data!.results.map((b) => b.version)).toEqual(['1.0.0']);
  });

  it('elsewhere it is offered: update_available and available_version, and the filter finds it', async () => {
    expect(await mine(wary.client)).toMatchObject({
      installed_version: '1.0.0',
      update_available: true,
      available_version: '1.1.0',
    });
    const offered = await wary.client.GET('/api/installations/', { params: { query: { update_available: true } } });
    expect(offered.data!.results.map((i) => i.plugin)).toEqual(['upd.auto']);
  });

  it('a new major is offered but never installed by itself', async () => {
    await release('upd.auto', '2.0.0');
    expect(await mine(eager.client)).toMatchObject({
      installed_version: '1.1.0',
      update_available: true,
      available_version: '2.0.0',
    });
    expect(await mine(wary.client)).toMatchObject({ installed_version: '1.0.0', available_version: '2.0.0' });
  });

  const patchVersion = async (version: string, body: Json) => {
    const res = await publisher.client.PATCH('/api/plugins/{plugin}/versions/{version}/', {
      params: { path: { plugin: 'upd.auto', version } },
      body: body as never,
    });
    expect(res.response.status).toBe(200);
    await t.app.get(AutoUpdater).idle();
  };

  it('a yanked or deprecated version is no longer offered; restored, it is offered again', async () => {
    await patchVersion('2.0.0', { yanked: true });
    expect(await mine(eager.client)).toMatchObject({ update_available: false, available_version: null });
    expect(await mine(wary.client)).toMatchObject({ update_available: true, available_version: '1.1.0' });
    await patchVersion('1.1.0', { deprecated: 'Use 1.0.0 until 1.2.0 is out.' });
    expect(await mine(wary.client)).toMatchObject({ update_available: false, available_version: null });
    const offered = await wary.client.GET('/api/installations/', { params: { query: { update_available: true } } });
    expect(offered.data!.results).toEqual([]);
    await patchVersion('2.0.0', { yanked: false });
    await patchVersion('1.1.0', { deprecated: null });
    expect(await mine(eager.client)).toMatchObject({ installed_version: '1.1.0', available_version: '2.0.0' });
    expect(await mine(wary.client)).toMatchObject({ installed_version: '1.0.0', available_version: '2.0.0' });
  });
});

describe('custom scopes across an update', () => {
  it('keeps a granted custom scope the new version still requests, and leaves a new one pending', async () => {
    const user = await t.createUser({ email: 'scopes@update.test' });
    await release('upd.scoped', '1.0.0', { permissions: ['log', 'messages:receive', 'read:data'] });
    const res = await install(user.client, 'upd.scoped');
    expect(res.data!.installation!.grants).toEqual(['log', 'messages:receive', 'read:data']);
    await release('upd.scoped', '1.1.0', { permissions: ['log', 'messages:receive', 'read:data', 'write:data'] });
    const up = await update(user.client, 'upd.scoped');
    expect(up.data).toMatchObject({
      status: 'completed',
      pending_grants: ['write:data'],
      installation: { grants: ['log', 'messages:receive', 'read:data'], pending_grants: ['write:data'] },
    });
    const granted = t.app.get(PluginRuntime).status(up.data!.installation.runtime_id);
    expect(granted?.grants).toEqual(['log', 'messages:receive', 'read:data']);
  });
});
