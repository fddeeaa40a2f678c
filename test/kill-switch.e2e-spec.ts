import { EventBus } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { inlinePlugin } from '@app/runtime/testing.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { KillWatcher } from '../apps/api/src/admin/kill-watcher.js';
import { InstallationRuntime } from '../apps/api/src/installation/installation-runtime.js';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';

type Client = ReturnType<TestApp['client']>;
type User = Awaited<ReturnType<TestApp['createUser']>>;
type Json = Record<string, unknown>;

const t = useTestApp();

const RUNNER = 'export default { onMessage(m) { return { echo: m.data }; } };\n';
const manifest = (key: string, version: string): Json => ({
  key,
  name: `Plugin ${key}`,
  version,
  description: `Does ${key} things`,
  author: 'Acme Labs',
  license: 'MIT',
  runtime: { type: 'sandbox', entry: 'runner.js' },
  permissions: ['log', 'messages:receive'],
});
const plugin = (key: string) => ({ params: { path: { plugin: key } } });

let admin: Client;
let reviewer: User;
let publisher: User;
let alice: User;
let bob: User;

async function release(key: string, version: string): Promise<void> {
  const pub = await publisher.client.POST('/api/plugins/', {
    body: { manifest: manifest(key, version), files: { runner: RUNNER }, scope: 'public' } as never,
  });
  expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
  const approved = await reviewer.client.POST('/api/admin/plugins/{plugin}/review/', {
    ...plugin(key),
    body: { version, decision: 'approve' },
  });
  expect(approved.response.status, JSON.stringify(approved.error)).toBe(200);
}

async function installFor(user: User, key: string, version?: string): Promise<string> {
  const res = await user.client.POST('/api/plugins/{plugin}/install/', {
    ...plugin(key),
    body: (version ? { version } : {}) as never,
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
  return res.data!.installation!.id;
}

async function statusOf(user: User, key: string): Promise<string | undefined> {
  const { data } = await user.client.GET('/api/installations/', { params: { query: { plugin: key } } });
  return data?.results[0]?.status;
}

const running = (key: string) =>
  t.app
    .get(InstallationRuntime)
    .list()
    .filter((i) => i.pluginKey === key);

beforeAll(async () => {
  admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
  reviewer = await t.createUser({ email: 'reviewer@kill.test', roles: ['reviewer'] });
  publisher = await t.createUser({ email: 'pub@kill.test', roles: ['publisher'] });
  alice = await t.createUser({ email: 'alice@kill.test' });
  bob = await t.createUser({ email: 'bob@kill.test' });
  await release('pub.doomed', '1.0.0');
  await release('pub.partial', '1.0.0');
  await release('pub.partial', '1.1.0');
  await release('pub.orphan', '1.0.0');
});

describe('the kill switch', () => {
  it('stops every running instance during steady traffic, marks installations killed, refuses every start', async () => {
    const ids = [await installFor(alice, 'pub.doomed'), await installFor(bob, 'pub.doomed')];
    expect(
      running('pub.doomed')
        .map((i) => i.installationId)
        .sort(),
    ).toEqual([...ids].sort());

    // Steady traffic through the messages API from both owners to their instances while the switch is pulled;
    // every hook call that reaches the plugin is counted from the runtime's own events.
    const calls: string[] = [];
    const off = t.app.get(EventBus).on('runtime.call', (e) => {
      if (ids.includes(e.installationId)) calls.push(e.installationId);
    });
    let stop = false;
    let answered = false;
    const after: Array<{ status: number; code?: string; reason?: unknown }> = [];
    let before = 0;
    const traffic = [alice, bob].map(async (user) => {
      while (!stop) {
        const late = answered;
        const res = await user.client.POST('/api/plugins/{plugin}/message/', {
          ...plugin('pub.doomed'),
          body: { target_plugin: 'pub.doomed', message_type: 'ping' },
        });
        if (late)
          after.push({ status: res.response.status, code: res.error?.code, reason: res.error?.details?.reason });
        else if (res.response.status === 200) before++;
      }
    });
    while (before < 10) await new Promise((r) => setTimeout(r, 5));

    const killed = await admin.POST('/api/admin/plugins/{plugin}/kill/', {
      ...plugin('pub.doomed'),
      body: { reason: 'Leaks credentials' },
    });
    answered = true;
    const reached = calls.length;
    expect(killed.response.status).toBe(200);
    expect(killed.data).toMatchObject({ killed: true, killed_versions: [], killed_reason: 'Leaks credentials' });
    // When the answer comes, nothing of it runs on this node any more: every later call is refused.
    expect(running('pub.doomed')).toEqual([]);
    while (after.length < 20) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await Promise.all(traffic);
    off();
    expect(reached).toBeGreaterThanOrEqual(10);
    expect(calls.length).toBe(reached);
    expect(new Set(after.map((a) => JSON.stringify(a)))).toEqual(
      new Set([JSON.stringify({ status: 409, code: 'PLUGIN_KILLED', reason: 'plugin_killed' })]),
    );

    for (const user of [alice, bob]) {
      expect(await statusOf(user, 'pub.doomed')).toBe('killed');
      const enable = await user.client.POST('/api/plugins/{plugin}/enable/', { ...plugin('pub.doomed'), body: {} });
      expect(enable.error).toMatchObject({ code: 'PLUGIN_KILLED', details: { reason: 'plugin_killed' } });
    }
    const fresh = await t.createUser({ email: 'fresh@kill.test' });
    const install = await fresh.client.POST('/api/plugins/{plugin}/install/', { ...plugin('pub.doomed'), body: {} });
    expect(install.error).toMatchObject({ code: 'PLUGIN_KILLED', details: { reason: 'plugin_killed' } });
    const detail = await fresh.client.GET('/api/plugins/{plugin}/', plugin('pub.doomed'));
    expect(detail.data).toMatchObject({ killed: true });
  }, 120_000);

  it('revives to disabled, never silently active; the owners turn it back on', async () => {
    const revived = await admin.DELETE('/api/admin/plugins/{plugin}/kill/', {
      ...plugin('pub.doomed'),
      body: { reason: 'Fixed upstream' },
    });
    expect(revived.response.status).toBe(200);
    expect(revived.data).toMatchObject({ killed: false, killed_versions: [] });
    expect(await statusOf(alice, 'pub.doomed')).toBe('disabled');
    expect(running('pub.doomed')).toEqual([]);
    const enable = await alice.client.POST('/api/plugins/{plugin}/enable/', { ...plugin('pub.doomed'), body: {} });
    expect(enable.data).toMatchObject({ status: 'active' });
    expect(running('pub.doomed')).toHaveLength(1);
    const again = await admin.DELETE('/api/admin/plugins/{plugin}/kill/', {
      ...plugin('pub.doomed'),
      body: { reason: 'twice' },
    });
    expect(again.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'not_killed' } });
  });

  it('kills only the versions named, leaving the others running', async () => {
    await installFor(alice, 'pub.partial', '1.0.0');
    await installFor(bob, 'pub.partial', '1.1.0');
    const res = await admin.POST('/api/admin/plugins/{plugin}/kill/', {
      ...plugin('pub.partial'),
      body: { reason: 'Only 1.0.0 is bad', versions: ['1.0.0'] },
    });
    expect(res.data).toMatchObject({ killed: true, killed_versions: ['1.0.0'] });
    expect(running('pub.partial').map((i) => i.version)).toEqual(['1.1.0']);
    expect(await statusOf(alice, 'pub.partial')).toBe('killed');
    expect(await statusOf(bob, 'pub.partial')).toBe('active');
    const unknown = await admin.POST('/api/admin/plugins/{plugin}/kill/', {
      ...plugin('pub.partial'),
      body: { reason: 'x', versions: ['9.9.9'] },
    });
    expect(unknown.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { reason: 'unknown_versions' } });
  });

  it('stops an instance that starts behind its back: the watcher catches it on its next look', async () => {
    const watcher = t.app.get(KillWatcher);
    const stoppedBefore = watcher.stoppedCount;
    // An instance of the killed 1.0.0 started without the lifecycle's checks (as a racing start would).
    const [bobs] = running('pub.partial');
    await t.app
      .get(PluginRuntime)
      .load(
        inlinePlugin(RUNNER, { pluginKey: 'pub.partial', installationId: 'raced', manifest: { version: '1.0.0' } }),
      );
    await watcher.tick();
    expect(running('pub.partial').map((i) => i.installationId)).toEqual([bobs.installationId]);
    expect(watcher.stoppedCount).toBe(stoppedBefore + 1);
  });

  it('converges the installations a node dying between setting the flag and marking them left behind', async () => {
    await installFor(alice, 'pub.orphan');
    const moderation = t.app.get(ModerationService);
    const watcher = t.app.get(KillWatcher);
    // The flag alone, as a node leaves it that dies right after setting it (and the revive, the same way).
    const change = (killed: boolean, reason: string) =>
      moderation.setKilled('pub.orphan', { killed, versions: [], reason, by: bob.id, at: t.clock.now() }, !killed);
    await change(true, 'Half-applied kill');
    // Two looks: the first may have begun before the flag was set.
    await watcher.tick();
    await watcher.tick();
    expect(await statusOf(alice, 'pub.orphan')).toBe('killed');
    expect(running('pub.orphan')).toEqual([]);
    const send = await alice.client.POST('/api/plugins/{plugin}/message/', {
      ...plugin('pub.orphan'),
      body: { target_plugin: 'pub.orphan', message_type: 'ping' },
    });
    expect(send.error).toMatchObject({ code: 'PLUGIN_KILLED', details: { reason: 'plugin_killed' } });

    await change(false, 'Half-applied revive');
    await watcher.tick();
    await watcher.tick();
    expect(await statusOf(alice, 'pub.orphan')).toBe('disabled');
    expect(running('pub.orphan')).toEqual([]);
  });

  it('is for platform admins: reviewers and owners are refused; a reason is required', async () => {
    for (const client of [reviewer.client, publisher.client]) {
      const res = await client.POST('/api/admin/plugins/{plugin}/kill/', {
        ...plugin('pub.doomed'),
        body: { reason: 'no' },
      });
      expect(res.error).toMatchObject({ code: 'FORBIDDEN' });
    }
    const bare = await admin.POST('/api/admin/plugins/{plugin}/kill/', { ...plugin('pub.doomed'), body: {} as never });
    expect(bare.error!.errors.map((e) => e.field)).toEqual(['reason']);
    const unknown = await admin.POST('/api/admin/plugins/{plugin}/kill/', {
      ...plugin('pub.nothing'),
      body: { reason: 'x' },
    });
    expect(unknown.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
  });
});
