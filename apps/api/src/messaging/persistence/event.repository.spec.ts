import { useTestDatabase } from '@app/database/testing.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EventOwner, NewEvent } from '../messaging.entity.js';
import { EventDeliveryRepository } from './event-delivery.repository.js';
import { EventDeliveryDoc, EventDeliverySchema } from './event-delivery.schema.js';
import { EventRepository } from './event.repository.js';
import { EventDoc, EventSchema, EventSequenceDoc, EventSequenceSchema } from './event.schema.js';

const db = useTestDatabase('events');
const RETAIN = 30 * 86_400_000;
let events: EventRepository;
let deliveries: EventDeliveryRepository;

const user = (id: string): EventOwner => ({ scope: 'user', userId: id, orgId: null });
const org = (id: string): EventOwner => ({ scope: 'org', userId: null, orgId: id });
const global: EventOwner = { scope: 'global', userId: null, orgId: null };

const event = (type: string, owner: EventOwner | null, pluginKey: string | null, at: Date): NewEvent => ({
  type,
  source: pluginKey
    ? { kind: 'plugin', installationId: `i-${pluginKey}`, pluginKey }
    : { kind: 'system', installationId: null, pluginKey: null },
  owner,
  data: { type },
  at,
});

beforeAll(async () => {
  events = new EventRepository(
    await db.model(EventDoc.name, EventSchema),
    await db.model(EventSequenceDoc.name, EventSequenceSchema),
  );
  deliveries = new EventDeliveryRepository(await db.model(EventDeliveryDoc.name, EventDeliverySchema));
  const t = (m: number) => new Date(Date.UTC(2026, 11, 1, 10, m));
  await events.append(event('orders.created', user('u1'), 'acme.orders', t(0)), RETAIN);
  await events.append(event('orders.paid', user('u1'), 'acme.orders', t(1)), RETAIN);
  await events.append(event('orders.created', user('u2'), 'acme.orders', t(2)), RETAIN);
  await events.append(event('plugin.installed', org('o1'), null, t(3)), RETAIN);
  await events.append(event('plugin.installed', global, null, t(4)), RETAIN);
  await events.append(event('platform.started', null, null, t(5)), RETAIN);
});

const all = { all: true } as const;
const page = { limit: 100, offset: 0 };

describe('EventRepository', () => {
  it('numbers events one after the other, even when appended at once', async () => {
    const before = await events.lastSequence();
    const stored = await Promise.all(
      Array.from({ length: 10 }, () => events.append(event('load.test', global, null, new Date()), RETAIN)),
    );
    expect(stored.map((e) => e.sequence).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => before + i + 1),
    );
    expect(new Set(stored.map((e) => e.id)).size).toBe(10);
  });

  it('stores a batch in one go, numbered in the order given, and answers it as a reader later sees it', async () => {
    const before = await events.lastSequence();
    const batch = await events.appendMany(
      [
        event('batch.first', user('u9'), 'acme.batch', new Date(Date.UTC(2026, 11, 1, 11, 10))),
        event('batch.second', org('o9'), null, new Date(Date.UTC(2026, 11, 1, 11, 11))),
        event('batch.third', null, null, new Date(Date.UTC(2026, 11, 1, 11, 12))),
      ],
      RETAIN,
    );
    expect(batch.map((e) => [e.type, e.sequence])).toEqual([
      ['batch.first', before + 1],
      ['batch.second', before + 2],
      ['batch.third', before + 3],
    ]);
    expect(await events.lastSequence()).toBe(before + 3);
    const read = await events.findByIds(batch.map((e) => e.id));
    expect(read.sort((a, b) => a.sequence - b.sequence)).toEqual(batch);
    expect(await events.appendMany([], RETAIN)).toEqual([]);
    expect(await events.lastSequence()).toBe(before + 3);
  });

  it('lists what a reader may see: own, their organisations’, global; admins everything', async () => {
    const types = async (v: Parameters<EventRepository['list']>[0]) =>
      (await events.list(v, { type: 'orders.*' }, page)).items.map((e) => e.owner?.userId ?? e.owner?.scope);
    expect(await types({ all: false, userId: 'u1', orgIds: [] })).toEqual(['u1', 'u1']);
    expect(await types(all)).toEqual(['u2', 'u1', 'u1']);
    const u3 = await events.list({ all: false, userId: 'u3', orgIds: ['o1'] }, { type: 'plugin.installed' }, page);
    expect(u3.items.map((e) => e.owner?.scope)).toEqual(['global', 'org']);
    const platform = await events.list({ all: false, userId: 'u3', orgIds: ['o1'] }, { type: 'platform.*' }, page);
    expect(platform.count).toBe(0);
  });

  it('filters by exact type, pattern, source and time range', async () => {
    expect((await events.list(all, { type: 'orders.created' }, page)).count).toBe(2);
    expect((await events.list(all, { type: 'orders' }, page)).count).toBe(0);
    expect((await events.list(all, { source: 'acme.orders' }, page)).count).toBe(3);
    expect((await events.list(all, { source: 'system', type: 'plugin.*' }, page)).count).toBe(2);
    const range = {
      since: new Date(Date.UTC(2026, 11, 1, 10, 1)),
      until: new Date(Date.UTC(2026, 11, 1, 10, 3)),
    };
    const ranged = await events.list(all, range, page);
    expect(ranged.items.map((e) => e.type)).toEqual(['plugin.installed', 'orders.created', 'orders.paid']);
  });

  it('reads the events after a sequence number, oldest first', async () => {
    const after = await events.after(all, { type: 'orders.*' }, 1, 10);
    expect(after.map((e) => [e.sequence, e.type])).toEqual([
      [2, 'orders.paid'],
      [3, 'orders.created'],
    ]);
  });
});

describe('EventDeliveryRepository', () => {
  const at = new Date(Date.UTC(2026, 11, 1, 12));
  const item = (eventId: string, sequence: number, subscriberId: string) => ({
    eventId,
    sequence,
    type: 'orders.created',
    subscriberId,
    subscriberKey: `acme.${subscriberId}`,
    lane: 'src',
    at,
    expiresAt: new Date(at.getTime() + RETAIN),
  });

  it('queues one delivery per event and subscriber, whatever is enqueued twice', async () => {
    await deliveries.enqueue([item('x1', 1, 's1'), item('x1', 1, 's2')]);
    await deliveries.enqueue([item('x1', 1, 's1'), item('x2', 2, 's1')]);
    const pending = await deliveries.pending(['s1', 's2'], 10);
    expect(pending.map((d) => [d.eventId, d.subscriberId])).toEqual([
      ['x1', 's1'],
      ['x1', 's2'],
      ['x2', 's1'],
    ]);
    expect((await deliveries.pending(['s2'], 10)).map((d) => d.eventId)).toEqual(['x1']);
  });

  it('acknowledges once, records failures, and replays only dead letters', async () => {
    const [first, second] = await deliveries.pending(['s1'], 10);
    expect(await deliveries.markDelivered(first.id, 1, at)).toBe(true);
    expect(await deliveries.markDelivered(first.id, 1, at)).toBe(false);

    await deliveries.markFailed(second.id, 1, 'boom', new Date(at.getTime() + 1000), at);
    expect(await deliveries.findById(second.id)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'boom' });
    expect(await deliveries.replay(second.id, at)).toBeNull();

    await deliveries.markFailed(second.id, 2, 'boom again', null, at);
    const letters = await deliveries.deadLetters(page);
    expect(letters.items.map((d) => [d.id, d.status, d.attempts])).toEqual([[second.id, 'dead', 2]]);
    const replayed = await deliveries.replay(second.id, at);
    expect(replayed).toMatchObject({ status: 'pending', attempts: 0, replays: 1, deadAt: null });
    expect(await deliveries.replay(second.id, at)).toBeNull();
    expect(await deliveries.replay('not-an-id', at)).toBeNull();
    expect((await deliveries.deadLetters(page)).count).toBe(0);
  });

  it('stores when each event and delivery expires, and TTL indexes remove them then', async () => {
    const at = new Date(Date.UTC(2026, 11, 1, 12));
    const stored = await events.append(event('retained.one', global, null, at), 2 * 86_400_000);
    const raw = await db.connection.collection('events').findOne({ event_id: stored.id });
    expect(raw?.expires_at).toEqual(new Date(Date.UTC(2026, 11, 3, 12)));
    for (const collection of ['events', 'event_deliveries']) {
      const indexes = await db.connection.collection(collection).indexes();
      expect(indexes.find((i) => i.name === 'retention')).toMatchObject({
        key: { expires_at: 1 },
        expireAfterSeconds: 0,
      });
    }
  });
});
