import type { AuthUser } from '@app/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { LifecycleService } from '../apps/api/src/installation/lifecycle.service.js';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';

type Client = ReturnType<TestApp['client']>;
type Json = Record<string, unknown>;

// The installation module's own INSTALLATION_DIRECTORY: every installation here is made through the API.
const t = useTestApp();

const REVIEWER: AuthUser = {
  id: '0000000000000000000000ab',
  email: 'reviewer@plughub.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

const ECHO = `export default { onMessage(m) { return { id: m.id, type: m.type, data: m.data, from: m.from }; } };\n`;
const SILENT = `export default { onMessage() { return new Promise(() => {}); } };\n`;
const FAILING = `export default { onMessage() { throw new Error('no data for that range'); } };\n`;

const PLUGINS: Array<{ key: string; runner: string; permissions: string[]; category: string }> = [
  { key: 'acme.echo', runner: ECHO, permissions: ['messages:receive'], category: 'monitoring' },
  { key: 'acme.asker', runner: ECHO, permissions: ['messages:send', 'messages:receive'], category: 'notifications' },
  { key: 'acme.silent', runner: SILENT, permissions: ['messages:receive'], category: 'monitoring' },
  { key: 'acme.failing', runner: FAILING, permissions: ['messages:receive'], category: 'monitoring' },
  { key: 'acme.mute', runner: ECHO, permissions: ['log'], category: 'monitoring' },
  { key: 'acme.private', runner: ECHO, permissions: ['messages:receive'], category: 'monitoring' },
  { key: 'acme.doomed', runner: ECHO, permissions: ['messages:receive'], category: 'security' },
];

async function release(publisher: Client, p: (typeof PLUGINS)[number]): Promise<void> {
  const manifest = {
    key: p.key,
    name: `Plugin ${p.key}`,
    version: '1.0.0',
    description: `Does ${p.key} things`,
    author: 'Acme Labs',
    license: 'MIT',
    category: p.category,
    runtime: { type: 'sandbox', entry: 'runner.js' },
    permissions: p.permissions,
    limits: { timeout_ms: 5000 },
  };
  const pub = await publisher.POST('/api/plugins/', {
    body: { manifest, files: { runner: p.runner }, scope: 'public' } as never,
  });
  expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
  await t.app.get(ModerationService).reviewVersion(REVIEWER, p.key, '1.0.0', 'approved');
}

async function install(client: Client, key: string, body: Json = {}): Promise<string> {
  const res = await client.POST('/api/plugins/{plugin}/install/', {
    params: { path: { plugin: key } },
    body: body as never,
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
  return res.data!.installation!.id;
}

const send = (client: Client, plugin: string, body: Json) =>
  client.POST('/api/plugins/{plugin}/message/', { params: { path: { plugin } }, body: body as never });

const broadcast = (client: Client, body: Json, org?: string) =>
  client.POST('/api/plugins/broadcast/', { params: { query: org ? { org } : {} }, body: body as never });

describe('messages and broadcast through the API', () => {
  let admin: Client;
  let alice: Awaited<ReturnType<typeof t.createUser>>;
  let bob: Awaited<ReturnType<typeof t.createUser>>;
  let owner: Awaited<ReturnType<typeof t.createUser>>;
  let member: Awaited<ReturnType<typeof t.createUser>>;

  beforeAll(async () => {
    admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    const publisher = await t.createUser({ email: 'pub@acme.test', roles: ['publisher'], handle: 'acme' });
    alice = await t.createUser({ email: 'alice@acme.test' });
    bob = await t.createUser({ email: 'bob@acme.test' });
    owner = await t.createUser({ email: 'owner@acme.test' });
    member = await t.createUser({ email: 'member@acme.test' });
    for (const p of PLUGINS) await release(publisher.client, p);
    for (const key of ['acme.echo', 'acme.asker', 'acme.silent', 'acme.failing', 'acme.mute', 'acme.doomed']) {
      await install(alice.client, key);
    }
    await install(bob.client, 'acme.private');
    // Bob's asker may receive but not send.
    await install(bob.client, 'acme.asker', { grants: ['messages:receive'] });

    expect(
      (await owner.client.POST('/api/orgs/', { body: { slug: 'acme-corp', name: 'Acme Corp' } })).response.status,
    ).toBe(201);
    // Joining is an invitation the new member accepts.
    const invited = await owner.client.POST('/api/orgs/{org}/members/', {
      params: { path: { org: 'acme-corp' } },
      body: { user: member.id },
    });
    expect(invited.response.status).toBe(202);
    const token = (invited.data as unknown as { token: string }).token;
    const joined = await member.client.POST('/api/invitations/accept/', { body: { token } });
    expect(joined.response.status).toBe(201);
    const enabled = await owner.client.POST('/api/org/plugins/{plugin}/enable/', {
      params: { path: { plugin: 'acme.echo' }, query: { org: 'acme-corp' } },
      body: {} as never,
    });
    expect(enabled.response.status, JSON.stringify(enabled.error)).toBe(201);
    // Seven publishes and ten installs: a loaded machine needs more than the default hook timeout.
  }, 240_000);

  it("delivers to the target's onMessage and answers its reply, from the sender or from the user", async () => {
    const res = await send(alice.client, 'acme.asker', {
      target_plugin: 'acme.echo',
      message_type: 'data_request',
      data: { query: 'user_activity' },
      timeout_seconds: 10,
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data!.response).toEqual({
      status: 'success',
      data: { id: res.data!.message_id, type: 'data_request', data: { query: 'user_activity' }, from: 'acme.asker' },
      error: null,
    });
    expect(res.data!.response_time_ms).toBeGreaterThanOrEqual(0);

    const direct = await send(alice.client, 'acme.echo', { target_plugin: 'acme.echo', message_type: 'ping' });
    expect(direct.response.status).toBe(200);
    expect(direct.data!.response.data).toMatchObject({ type: 'ping', data: null, from: null });
  });

  it("answers 200 with response.status error when the target's onMessage throws", async () => {
    const res = await send(alice.client, 'acme.asker', { target_plugin: 'acme.failing', message_type: 'q' });
    expect(res.response.status).toBe(200);
    expect(res.data!.response.status).toBe('error');
    expect(res.data!.response.data).toBeNull();
    expect(res.data!.response.error).toMatchObject({ code: 'PLUGIN_ERROR' });
    expect(res.data!.response.error!.message).toContain('no data for that range');
  });

  it('answers 408 PLUGIN_COMMUNICATION_TIMEOUT when the target never answers', async () => {
    const res = await send(alice.client, 'acme.asker', {
      target_plugin: 'acme.silent',
      message_type: 'q',
      timeout_seconds: 1,
    });
    expect(res.response.status).toBe(408);
    expect(res.error).toMatchObject({ code: 'PLUGIN_COMMUNICATION_TIMEOUT', details: { reason: 'timeout' } });
  });

  it('a target stopped by its own time limit before the wait ran out is 408 without the wait’s timeout_ms', async () => {
    const started = Date.now();
    const res = await send(alice.client, 'acme.asker', {
      target_plugin: 'acme.silent',
      message_type: 'q',
      timeout_seconds: 30,
    });
    expect(res.response.status).toBe(408);
    expect(res.error!.details).toEqual({ reason: 'timeout', key: 'acme.silent' });
    expect(Date.now() - started).toBeLessThan(29_000); // its limits.timeout_ms (5 s) stopped it
  });

  it('refuses a sender without messages:send and a target without messages:receive (403)', async () => {
    const noSend = await send(bob.client, 'acme.asker', { target_plugin: 'acme.private', message_type: 'q' });
    expect(noSend.response.status).toBe(403);
    expect(noSend.error).toMatchObject({
      code: 'PLUGIN_PERMISSION_DENIED',
      details: { reason: 'messages_send_not_granted' },
    });
    const noReceive = await send(alice.client, 'acme.asker', { target_plugin: 'acme.mute', message_type: 'q' });
    expect(noReceive.response.status).toBe(403);
    expect(noReceive.error).toMatchObject({
      code: 'PLUGIN_PERMISSION_DENIED',
      details: { reason: 'messages_receive_not_granted' },
    });
  });

  it("answers 404 for a target or sender outside the caller's effective set", async () => {
    const invisible = await send(alice.client, 'acme.asker', { target_plugin: 'acme.private', message_type: 'q' });
    expect(invisible.response.status).toBe(404);
    expect(invisible.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { reason: 'target_not_installed' } });
    const noSender = await send(alice.client, 'acme.private', { target_plugin: 'acme.echo', message_type: 'q' });
    expect(noSender.response.status).toBe(404);
    expect(noSender.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { reason: 'not_installed' } });
  });

  it('answers 409 CONFLICT for an inactive target, and delivers again once it is enabled', async () => {
    const disabled = await alice.client.POST('/api/plugins/{plugin}/disable/', {
      params: { path: { plugin: 'acme.echo' } },
      body: {} as never,
    });
    expect(disabled.response.status, JSON.stringify(disabled.error)).toBe(200);
    const res = await send(alice.client, 'acme.asker', { target_plugin: 'acme.echo', message_type: 'q' });
    expect(res.response.status).toBe(409);
    expect(res.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'target_inactive' } });
    const asSender = await send(alice.client, 'acme.echo', { target_plugin: 'acme.asker', message_type: 'q' });
    expect(asSender.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'sender_inactive' } });

    const enabled = await alice.client.POST('/api/plugins/{plugin}/enable/', {
      params: { path: { plugin: 'acme.echo' } },
      body: {} as never,
    });
    expect(enabled.response.status, JSON.stringify(enabled.error)).toBe(200);
    const again = await send(alice.client, 'acme.asker', { target_plugin: 'acme.echo', message_type: 'q' });
    expect(again.response.status).toBe(200);
    expect(again.data!.response.status).toBe('success');
  });

  it('refuses bad bodies with 400 VALIDATION_ERROR', async () => {
    for (const body of [
      { message_type: 'q' },
      { target_plugin: 'acme.echo', message_type: 'q', timeout_seconds: 0 },
      { target_plugin: 'acme.echo', message_type: 'q', timeout_seconds: 61 },
      { target_plugin: 'acme.echo', message_type: 'q', data: 'text' },
      { target_plugin: 'acme.echo', message_type: 'q', surprise: true },
    ]) {
      const res = await send(alice.client, 'acme.asker', body);
      expect(res.response.status, JSON.stringify(body)).toBe(400);
      expect(res.error!.code).toBe('VALIDATION_ERROR');
    }
  });

  it('broadcasts to the categories asked for, except the excluded plugins, and says who did not answer', async () => {
    const res = await broadcast(admin, {
      message_type: 'system_announcement',
      data: { announcement: 'Maintenance at 22:00' },
      target_categories: ['monitoring'],
      exclude_plugins: ['acme.silent'],
      timeout_seconds: 5,
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    // alice's and the organisation's echo, bob's private one; not the asker (notifications) nor mute (no receive).
    expect(res.data!.delivered).toEqual(['acme.echo', 'acme.echo', 'acme.private']);
    expect(res.data!.failed.map((f) => [f.plugin, f.reason])).toEqual([['acme.failing', 'error']]);
  });

  it('reports a plugin that never answers as a timeout without holding back the others', async () => {
    const res = await broadcast(admin, {
      message_type: 'ping',
      target_categories: ['monitoring', 'security'],
      exclude_plugins: ['acme.failing', 'acme.private'],
      timeout_seconds: 1,
    });
    expect(res.response.status).toBe(200);
    expect(res.data!.delivered).toEqual(['acme.doomed', 'acme.echo', 'acme.echo']);
    expect(res.data!.failed.map((f) => [f.plugin, f.reason])).toEqual([['acme.silent', 'timeout']]);
  });

  it("lets an organisation's admin broadcast to its installations only, and nobody else", async () => {
    const res = await broadcast(owner.client, { message_type: 'ping' }, 'acme-corp');
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data).toMatchObject({ delivered: ['acme.echo'], failed: [] });

    for (const [client, org] of [
      [member.client, 'acme-corp'],
      [alice.client, undefined],
    ] as const) {
      const refused = await broadcast(client, { message_type: 'ping' }, org);
      expect(refused.response.status).toBe(403);
      expect(refused.error).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_broadcaster' } });
    }
    const unknown = await broadcast(alice.client, { message_type: 'ping' }, 'nowhere');
    expect(unknown.response.status).toBe(404);
  });

  it('answers 409 PLUGIN_KILLED for a killed target and leaves it out of broadcasts', async () => {
    const killed = await t.app.get(LifecycleService).killAll('acme.doomed', { kind: 'system' }, 'malware');
    expect(killed).toBe(1);
    const res = await send(alice.client, 'acme.asker', { target_plugin: 'acme.doomed', message_type: 'q' });
    expect(res.response.status).toBe(409);
    expect(res.error).toMatchObject({ code: 'PLUGIN_KILLED', details: { reason: 'plugin_killed' } });
    const all = await broadcast(admin, { message_type: 'ping', target_categories: ['security'] });
    expect(all.data).toMatchObject({ delivered: [], failed: [] });
  });

  it('kept every answer within the contract', () => {
    expect(t.contractViolations).toEqual([]);
  });
});
