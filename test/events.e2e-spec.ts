import { EventBus } from '@app/common';
import { PluginRuntime, RuntimeError } from '@app/runtime';
import { inlinePlugin } from '@app/runtime/testing.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventsService } from '../apps/api/src/messaging/events.service.js';
import { ADMIN, useTestApp } from './support/app.js';
import { directoryOverride, GLOBAL, SseReader, TestDirectory, userOwner } from './support/events.js';

const directory = new TestDirectory();

/** Polls `check` until it returns true (each round may move the app's clock), or fails after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const SINK = `
  const seen = [];
  let failing = false;
  export default {
    onEvent(e) {
      if (failing) throw new Error('the sink is down');
      seen.push({ id: e.id, type: e.type, data: e.data, source: e.source });
    },
    onMessage(m) {
      if (m.type === 'fail') { failing = m.data; return null; }
      return seen;
    },
  };`;

const EMITTER = `
  let ctx;
  export default {
    onInit(context) { ctx = context; },
    onMessage(m) {
      for (const [i, type] of m.data.types.entries()) ctx.events.emit(type, { n: i });
      return m.data.types.length;
    },
  };`;

describe('events', () => {
  const t = useTestApp({
    overrides: [directoryOverride(directory)],
    env: {
      PLUGHUB_EVENT_MAX_ATTEMPTS: '3',
      PLUGHUB_EVENT_RETRY_BASE_MS: '1000',
      PLUGHUB_SSE_KEEPALIVE_MS: '300',
      PLUGHUB_MAX_EVENT_STREAMS_PER_USER: '3',
    },
  });
  let runtime: PluginRuntime;
  let adminToken: string;
  let alice: Awaited<ReturnType<typeof t.createUser>>;
  let bob: Awaited<ReturnType<typeof t.createUser>>;

  const emitter = inlinePlugin(EMITTER, {
    pluginKey: 'alice.orders',
    permissions: ['events:emit', 'messages:receive'],
    manifest: { events: { emits: [{ type: 'orders.created' }, { type: 'orders.paid' }] } },
  });
  const globalSink = inlinePlugin(SINK, {
    pluginKey: 'plughub.audit-sink',
    permissions: ['events:subscribe', 'messages:receive'],
  });
  const bobSink = inlinePlugin(SINK, { pluginKey: 'bob.sink', permissions: ['events:subscribe', 'messages:receive'] });

  const seenBy = async (spec: { installationId: string }) =>
    (await runtime.message(spec.installationId, { type: 'seen' })) as Array<{
      id: string;
      type: string;
      data: unknown;
    }>;
  const emit = (types: string[]) => runtime.message(emitter.installationId, { type: 'emit', data: { types } });

  beforeAll(async () => {
    runtime = t.app.get(PluginRuntime);
    adminToken = await t.login(ADMIN.email, ADMIN.password);
    alice = await t.createUser({ email: 'alice@plughub.test' });
    bob = await t.createUser({ email: 'bob@plughub.test' });
    for (const spec of [emitter, globalSink, bobSink]) await runtime.load(spec);
    directory.add(emitter.installationId, emitter.pluginKey, userOwner(alice.id));
    directory.add(globalSink.installationId, globalSink.pluginKey, GLOBAL, ['orders.*']);
    directory.add(bobSink.installationId, bobSink.pluginKey, userOwner(bob.id), ['*']);
  });

  it('delivers a plugin event to the subscribers whose patterns match and whose target it reaches, in order', async () => {
    const types = Array.from({ length: 12 }, (_, i) => (i % 2 ? 'orders.paid' : 'orders.created'));
    expect(await emit(types)).toBe(12);
    await eventually(async () => (await seenBy(globalSink)).length === 12);
    const seen = await seenBy(globalSink);
    expect(seen.map((e) => e.data)).toEqual(types.map((_, i) => ({ n: i })));
    expect(new Set(seen.map((e) => e.id)).size).toBe(12);
    // Bob's plugin subscribes to everything, but Alice's installation's events never reach another user's.
    expect(await seenBy(bobSink)).toEqual([]);
  });

  it('refuses, inside the sandbox, an event the manifest does not declare', async () => {
    const before = (await t.client({ accessToken: adminToken }).GET('/api/events/', {})).data!.count;
    await expect(emit(['orders.refunded'])).rejects.toBeInstanceOf(RuntimeError);
    const after = (await t.client({ accessToken: adminToken }).GET('/api/events/', {})).data!.count;
    expect(after).toBe(before);
  });

  it('stores system events from the EventBus and shows each reader only what they may see', async () => {
    await t.app.get(EventBus).emit(
      'plugin.installed' as 'installation.changed',
      {
        installationId: 'inst-bob-1',
        pluginKey: 'bob.tools',
        version: '1.0.0',
        target: { scope: 'user', userId: bob.id, orgId: null },
        actor: { kind: 'user', id: bob.id },
        reason: null,
        config: { api_key: 'must-not-be-stored' },
        at: new Date(),
      } as never,
    );
    const asBob = await bob.client.GET('/api/events/', { params: { query: { type: 'plugin.*', source: 'system' } } });
    expect(asBob.data!.results.map((e) => [e.type, e.source.kind, e.source.plugin])).toEqual([
      ['plugin.installed', 'system', 'bob.tools'],
    ]);
    expect(JSON.stringify(asBob.data)).not.toContain('must-not-be-stored');
    const asAlice = await alice.client.GET('/api/events/', { params: { query: { type: 'plugin.*' } } });
    expect(asAlice.data!.count).toBe(0);
    // Alice sees her plugin's events, Bob none of them; an admin sees all of them.
    const aliceOrders = await alice.client.GET('/api/events/', { params: { query: { source: 'alice.orders' } } });
    expect(aliceOrders.data!.count).toBe(12);
    const bobOrders = await bob.client.GET('/api/events/', { params: { query: { source: 'alice.orders' } } });
    expect(bobOrders.data!.count).toBe(0);
    // Bob's sink subscribes to `*` and the event is his: it arrives.
    await eventually(async () => (await seenBy(bobSink)).some((e) => e.type === 'plugin.installed'));
  });

  it('filters the list by type, time range and pages it', async () => {
    const admin = t.client({ accessToken: adminToken });
    const paid = await admin.GET('/api/events/', { params: { query: { type: 'orders.paid', limit: 2 } } });
    expect([paid.data!.count, paid.data!.results.length]).toEqual([6, 2]);
    expect(paid.data!.results[0].sequence).toBeGreaterThan(paid.data!.results[1].sequence);
    const future = await admin.GET('/api/events/', {
      params: { query: { since: new Date(Date.now() + 3600_000).toISOString() } },
    });
    expect(future.data!.count).toBe(0);
    const bad = await admin.GET('/api/events/', { params: { query: { type: 'Orders paid!' } } });
    expect([bad.response.status, bad.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
  });

  it('streams new events over SSE, resumes after Last-Event-ID and sends keep-alive comments', async () => {
    const url = `${t.baseUrl}/api/events/stream/?type=orders.*`;
    const auth = { authorization: `Bearer ${alice.token}` };
    const first = await SseReader.open(url, auth);
    expect(first.status).toBe(200);
    await first.until((r) => r.comments.includes('keep-alive'));
    await emit(['orders.created', 'orders.paid']);
    await first.until((r) => r.messages.length === 2);
    const last = first.messages[1];
    first.close();

    await emit(['orders.created', 'orders.paid', 'orders.created']);
    const resumed = await SseReader.open(url, { ...auth, 'last-event-id': last.id! });
    await resumed.until((r) => r.messages.length === 3);
    const got = resumed.messages.map((m) => m.data as { sequence: number; type: string });
    expect(got.map((e) => e.type)).toEqual(['orders.created', 'orders.paid', 'orders.created']);
    expect(got.every((e) => e.sequence > Number(last.id))).toBe(true);
    expect(resumed.messages.map((m) => m.id)).toEqual(got.map((e) => String(e.sequence)));
    resumed.close();

    // Bob may not see Alice's plugin's events: his stream stays empty.
    const bobs = await SseReader.open(url, { authorization: `Bearer ${bob.token}`, 'last-event-id': '0' });
    await bobs.until((r) => r.comments.length > 0);
    expect(bobs.messages).toEqual([]);
    bobs.close();

    const bad = await fetch(url, { headers: { ...auth, 'last-event-id': 'yesterday' } });
    const body = (await bad.json()) as { code: string; details: { reason: string } };
    expect([bad.status, body.code, body.details.reason]).toEqual([400, 'VALIDATION_ERROR', 'invalid_last_event_id']);
    expect((await fetch(url)).status).toBe(401);
  });

  it('holds a user to PLUGHUB_MAX_EVENT_STREAMS_PER_USER open streams, and gives a slot back when one closes', async () => {
    const url = `${t.baseUrl}/api/events/stream/`;
    const auth = { authorization: `Bearer ${alice.token}` };
    // A refused Last-Event-ID takes no slot.
    for (let i = 0; i < 4; i++) {
      expect((await fetch(url, { headers: { ...auth, 'last-event-id': 'x' } })).status).toBe(400);
    }
    const streams = [await SseReader.open(url, auth), await SseReader.open(url, auth), await SseReader.open(url, auth)];
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    const over = await fetch(url, { headers: auth });
    const body = (await over.json()) as { code: string; status: number; details: { reason: string; limit: number } };
    expect([over.status, body.code, body.details.reason, body.details.limit]).toEqual([
      429,
      'RATE_LIMITED',
      'too_many_streams',
      3,
    ]);
    // Another user's streams are their own.
    const bobs = await SseReader.open(url, { authorization: `Bearer ${bob.token}` });
    expect(bobs.status).toBe(200);
    bobs.close();
    streams[0].close();
    await eventually(async () => Promise.resolve(t.app.get(EventsService).openStreamsOf(alice.id) === 2));
    const again = await SseReader.open(url, auth);
    expect(again.status).toBe(200);
    for (const s of [again, ...streams.slice(1)]) s.close();
    await eventually(async () => Promise.resolve(t.app.get(EventsService).openStreamsOf(alice.id) === 0));
  });

  it('retries a failing subscriber with backoff, then keeps a dead letter that an admin replays', async () => {
    const admin = t.client({ accessToken: adminToken });
    await runtime.message(globalSink.installationId, { type: 'fail', data: true });
    const delivered = (await seenBy(globalSink)).length;
    await emit(['orders.created']);
    await eventually(async () => {
      t.clock.advance(5_000); // the next retry is due
      return (await admin.GET('/api/events/dead-letters/', {})).data!.count > 0;
    });
    const letters = await admin.GET('/api/events/dead-letters/', {});
    const letter = letters.data!.results[0];
    expect([letter.status, letter.attempts, letter.subscriber_plugin, letter.event?.type]).toEqual([
      'dead',
      3,
      'plughub.audit-sink',
      'orders.created',
    ]);
    expect(letter.last_error).toContain('the sink is down');

    expect((await alice.client.GET('/api/events/dead-letters/', {})).response.status).toBe(403);
    await runtime.message(globalSink.installationId, { type: 'fail', data: false });
    const replayed = await admin.POST('/api/events/dead-letters/{id}/replay/', {
      params: { path: { id: letter.id } },
    });
    expect([replayed.data?.status, replayed.data?.replays]).toEqual(['pending', 1]);
    await eventually(async () => (await seenBy(globalSink)).length === delivered + 1);
    expect((await seenBy(globalSink)).at(-1)!.id).toBe(letter.event!.id);

    const again = await admin.POST('/api/events/dead-letters/{id}/replay/', { params: { path: { id: letter.id } } });
    expect([again.response.status, again.error?.code, again.error?.details?.reason]).toEqual([
      409,
      'CONFLICT',
      'not_dead_letter',
    ]);
    const missing = await admin.POST('/api/events/dead-letters/{id}/replay/', {
      params: { path: { id: '000000000000000000000000' } },
    });
    expect([missing.response.status, missing.error?.code]).toEqual([404, 'NOT_FOUND']);
  });
});
