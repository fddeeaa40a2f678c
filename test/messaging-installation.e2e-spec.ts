import type { AuthUser } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';

type Client = ReturnType<TestApp['client']>;
type Json = Record<string, unknown>;

// No directory binding here: the installation module's own INSTALLATION_DIRECTORY says who subscribes.
const t = useTestApp();

const REVIEWER: AuthUser = {
  id: '0000000000000000000000ab',
  email: 'reviewer@plughub.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

const EMITTER = `
  let ctx;
  export default {
    onInit(context) { ctx = context; },
    onMessage(m) { ctx.events.emit('orders.created', { n: m.data }); return true; },
  };\n`;

const SINK = `
  const seen = [];
  export default {
    onEvent(e) { seen.push({ id: e.id, type: e.type, data: e.data }); },
    onMessage() { return seen; },
  };\n`;

const manifest = (key: string, permissions: string[], events: Json): Json => ({
  key,
  name: `Plugin ${key}`,
  version: '1.0.0',
  description: `Does ${key} things`,
  author: 'Acme Labs',
  license: 'MIT',
  runtime: { type: 'sandbox', entry: 'runner.js' },
  permissions,
  events,
});

async function release(publisher: Client, m: Json, runner: string): Promise<void> {
  const pub = await publisher.POST('/api/plugins/', {
    body: { manifest: m, files: { runner }, scope: 'public' } as never,
  });
  expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
  await t.app.get(ModerationService).reviewVersion(REVIEWER, m.key as string, '1.0.0', 'approved');
}

async function install(client: Client, key: string): Promise<string> {
  const res = await client.POST('/api/plugins/{plugin}/install/', {
    params: { path: { plugin: key } },
    body: {} as never,
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
  expect(res.data!.installation!.status).toBe('active');
  return res.data!.installation!.id;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('events between plugins installed through the API', () => {
  let runtime: PluginRuntime;
  let alice: Awaited<ReturnType<typeof t.createUser>>;
  let emitter: string;
  let aliceSink: string;
  let bobSink: string;

  const seenBy = async (id: string) => (await runtime.message(id, { type: 'seen' })) as Array<Json>;

  beforeAll(async () => {
    runtime = t.app.get(PluginRuntime);
    const publisher = await t.createUser({ email: 'pub@acme.test', roles: ['publisher'], handle: 'acme' });
    alice = await t.createUser({ email: 'alice@acme.test' });
    const bob = await t.createUser({ email: 'bob@acme.test' });
    await release(
      publisher.client,
      manifest('acme.orders', ['events:emit', 'messages:receive'], { emits: [{ type: 'orders.created' }] }),
      EMITTER,
    );
    await release(
      publisher.client,
      manifest('acme.sink', ['events:subscribe', 'messages:receive'], { subscribes: [{ type: 'orders.*' }] }),
      SINK,
    );
    emitter = await install(alice.client, 'acme.orders');
    aliceSink = await install(alice.client, 'acme.sink');
    bobSink = await install(bob.client, 'acme.sink');
  });

  it("delivers an installed plugin's event to the same user's subscribing installation, not to another user's", async () => {
    expect(await runtime.message(emitter, { type: 'emit', data: 1 })).toBe(true);
    await eventually(async () => (await seenBy(aliceSink)).length === 1);
    const [seen] = await seenBy(aliceSink);
    expect(seen).toMatchObject({ type: 'orders.created', data: { n: 1 } });
    expect(await seenBy(bobSink)).toEqual([]);

    const listed = await alice.client.GET('/api/events/', { params: { query: { type: 'orders.created' } } });
    expect(listed.response.status).toBe(200);
    expect(listed.data!.results.map((e) => e.id)).toEqual([seen.id]);
  });

  it("stops delivering to a user's own installation once their organisation disables the plugin", async () => {
    const owner = await t.createUser({ email: 'owner@acme.test' });
    expect(
      (await owner.client.POST('/api/orgs/', { body: { slug: 'acme-corp', name: 'Acme Corp' } })).response.status,
    ).toBe(201);
    // Joining is an invitation the new member accepts.
    const invited = await owner.client.POST('/api/orgs/{org}/members/', {
      params: { path: { org: 'acme-corp' } },
      body: { user: alice.id },
    });
    expect(invited.response.status).toBe(202);
    const token = (invited.data as unknown as { token: string }).token;
    const joined = await alice.client.POST('/api/invitations/accept/', { body: { token } });
    expect(joined.response.status).toBe(201);
    const org = { path: { plugin: 'acme.sink' }, query: { org: 'acme-corp' } };
    const enabled = await owner.client.POST('/api/org/plugins/{plugin}/enable/', { params: org, body: {} as never });
    expect(enabled.response.status, JSON.stringify(enabled.error)).toBe(201);
    const disabled = await owner.client.DELETE('/api/org/plugins/{plugin}/disable/', { params: org });
    expect(disabled.response.status, JSON.stringify(disabled.error)).toBe(200);
    // The instance's own sink receives every event: once it has this one, every delivery of it was queued.
    const admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    const global = await admin.POST('/api/plugins/{plugin}/install/', {
      params: { path: { plugin: 'acme.sink' }, query: { scope: 'global' } },
      body: {} as never,
    });
    expect(global.response.status, JSON.stringify(global.error)).toBe(201);
    const globalSink = global.data!.installation!.id;

    expect(await runtime.message(emitter, { type: 'emit', data: 2 })).toBe(true);
    await eventually(async () => (await seenBy(globalSink)).some((e) => (e.data as Json).n === 2));
    expect((await seenBy(aliceSink)).map((e) => (e.data as Json).n)).toEqual([1]);
  });
});
