import { JsonLogger, LogOutput } from '@app/common';
import { type InstanceState, PluginRuntime } from '@app/runtime';
import { TestClock } from '@test/support/clock.js';
import { strictMock } from '@test/support/strict-mock.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessagingConfig } from '../config/app-config.js';
import { EventDispatcher, FULL_PASS_MS } from './event-dispatcher.js';
import { EventSignal, QueueSignal } from './event-signal.js';
import type { EventsService } from './events.service.js';
import type { EventDelivery, StoredEvent } from './messaging.entity.js';
import { EventDeliveryRepository } from './persistence/event-delivery.repository.js';
import { EventRepository } from './persistence/event.repository.js';

const config: MessagingConfig = {
  natsUrl: null,
  nodeName: 'test',
  eventMaxAttempts: 3,
  eventRetryBaseMs: 1000,
  eventRetentionDays: 30,
  sseKeepAliveMs: 15_000,
  maxStreamsPerUser: 16,
  leaseTtlMs: 15_000,
};

let deliveries: ReturnType<typeof strictMock<EventDeliveryRepository>>;
let events: ReturnType<typeof strictMock<EventRepository>>;
let runtime: ReturnType<typeof strictMock<PluginRuntime>>;
let clock: TestClock;
let dispatcher: EventDispatcher;
let queued: QueueSignal;
/** The runtime's instances, by id (what stateOf and ids answer from). */
let states: Map<string, InstanceState>;

const event = (sequence: number): StoredEvent => ({
  id: `e${sequence}`,
  sequence,
  type: 'orders.created',
  source: { kind: 'plugin', installationId: 'src', pluginKey: 'acme.orders' },
  owner: null,
  data: { n: sequence },
  at: new Date(0),
});

const delivery = (sequence: number, subscriberId: string, lane: string, over: Partial<EventDelivery> = {}) => ({
  id: `d${sequence}${subscriberId}`,
  eventId: `e${sequence}`,
  sequence,
  type: 'orders.created',
  subscriberId,
  subscriberKey: `acme.${subscriberId}`,
  lane,
  status: 'pending' as const,
  attempts: 0,
  nextAttemptAt: new Date(0),
  lastError: null,
  deliveredAt: null,
  deadAt: null,
  replays: 0,
  createdAt: new Date(0),
  ...over,
});

beforeEach(() => {
  deliveries = strictMock(EventDeliveryRepository);
  events = strictMock(EventRepository);
  runtime = strictMock(PluginRuntime);
  clock = new TestClock();
  queued = new QueueSignal();
  const service = { stored: new EventSignal(), queued } as unknown as EventsService;
  const logger = new JsonLogger(new LogOutput('silent', () => undefined));
  dispatcher = new EventDispatcher(deliveries, events, service, runtime, config, clock, logger);
  states = new Map<string, InstanceState>([
    ['a', 'ready'],
    ['b', 'ready'],
    ['c', 'loading'],
  ]);
  runtime.stateOf.mockImplementation((id) => states.get(id));
  runtime.ids.mockImplementation(({ state } = {}) =>
    [...states].filter(([, s]) => (state ?? s) === s).map(([id]) => id),
  );
  events.findByIds.mockImplementation((ids: string[]) => Promise.resolve(ids.map((id) => event(Number(id.slice(1))))));
  deliveries.markDelivered.mockResolvedValue(true);
  deliveries.markFailed.mockResolvedValue(undefined);
});

describe('EventDispatcher', () => {
  it('asks only for the ready installations and delivers the head of each lane', async () => {
    deliveries.pending.mockResolvedValue([
      delivery(1, 'a', 'src'),
      delivery(2, 'a', 'src'),
      delivery(3, 'a', 'other'),
      delivery(4, 'b', 'src'),
    ]);
    runtime.event.mockResolvedValue(undefined);
    await dispatcher.deliverDue();
    expect(deliveries.pending.mock.calls[0][0]).toEqual(['a', 'b']);
    expect(runtime.event.mock.calls.map(([id, e]) => [id, e.id])).toEqual([
      ['a', 'e1'],
      ['a', 'e3'],
      ['b', 'e4'],
    ]);
    expect(runtime.event.mock.calls[0][1]).toMatchObject({ type: 'orders.created', source: 'acme.orders' });
    expect(deliveries.markDelivered.mock.calls.map(([id, attempts]) => [id, attempts])).toEqual([
      ['d1a', 1],
      ['d3a', 1],
      ['d4b', 1],
    ]);
  });

  it('lets a head that is not due yet hold its lane', async () => {
    const later = new Date(clock.nowMs() + 60_000);
    deliveries.pending.mockResolvedValue([delivery(1, 'a', 'src', { nextAttemptAt: later }), delivery(2, 'a', 'src')]);
    await dispatcher.deliverDue();
    expect(runtime.event).not.toHaveBeenCalled();
  });

  it('retries with a doubling delay, then makes a dead letter', async () => {
    runtime.event.mockRejectedValue(new Error('sink down'));
    const now = clock.nowMs();
    for (const attempts of [0, 1, 2]) {
      deliveries.pending.mockResolvedValueOnce([delivery(1, 'a', 'src', { attempts })]);
      await dispatcher.deliverDue();
    }
    const calls = deliveries.markFailed.mock.calls.map(([, attempts, error, retryAt]) => [
      attempts,
      error,
      retryAt === null ? null : retryAt.getTime() - now,
    ]);
    expect(calls.map(([a, e]) => [a, e])).toEqual([
      [1, 'sink down'],
      [2, 'sink down'],
      [3, 'sink down'],
    ]);
    expect(calls[0][2]).toBeGreaterThanOrEqual(1000);
    expect(calls[0][2]).toBeLessThan(1000 + 5000);
    expect(calls[1][2]).toBeGreaterThanOrEqual(2000);
    expect(calls[2][2]).toBeNull();
  });

  it('fails a delivery whose event is gone instead of handing over nothing', async () => {
    events.findByIds.mockResolvedValue([]);
    deliveries.pending.mockResolvedValue([delivery(1, 'a', 'src')]);
    await dispatcher.deliverDue();
    expect(runtime.event).not.toHaveBeenCalled();
    expect(deliveries.markFailed.mock.calls[0][1]).toBe(1);
  });

  it('looks at what changed only: the named subscribers, those with deliveries left and those hosted since', async () => {
    const looked = () => deliveries.pending.mock.calls.at(-1)![0];
    deliveries.pending.mockResolvedValue([]);
    await dispatcher.deliverDue({ all: false });
    expect(looked()).toEqual(['a', 'b']);
    await dispatcher.deliverDue({ all: false });
    expect(looked()).toEqual([]);
    queued.wake(['b', 'elsewhere']);
    await dispatcher.deliverDue({ all: false });
    expect(looked()).toEqual(['b']);
    // b has a delivery not due yet: it is looked at again until it has none.
    const later = new Date(clock.nowMs() + 60_000);
    queued.wake(['b']);
    deliveries.pending.mockResolvedValueOnce([delivery(1, 'b', 'src', { nextAttemptAt: later })]);
    await dispatcher.deliverDue({ all: false });
    await dispatcher.deliverDue({ all: false });
    expect(looked()).toEqual(['b']);
    await dispatcher.deliverDue({ all: false });
    expect(looked()).toEqual([]);
    states.set('c', 'ready');
    dispatcher.onState({ installationId: 'c', pluginKey: 'acme.c', from: 'loading', to: 'ready', at: new Date() });
    await dispatcher.deliverDue({ all: false });
    expect(looked()).toEqual(['c']);
    queued.wake();
    await dispatcher.deliverDue({ all: false });
    expect(looked()).toEqual(['a', 'b', 'c']);
    clock.advance(FULL_PASS_MS);
    await dispatcher.deliverDue({ all: false });
    expect(looked()).toEqual(['a', 'b', 'c']);
    expect(runtime.event).not.toHaveBeenCalled();
  });

  it('after a delivery, the running loop looks again at its subscriber only, not at every hosted installation', async () => {
    runtime.event.mockResolvedValue(undefined);
    deliveries.pending.mockResolvedValueOnce([delivery(1, 'b', 'src')]).mockResolvedValue([]);
    dispatcher.onApplicationBootstrap(); // its first pass looks at every hosted installation and delivers b's head
    try {
      await vi.waitFor(() => expect(deliveries.pending.mock.calls.length).toBeGreaterThanOrEqual(2));
    } finally {
      await dispatcher.beforeApplicationShutdown();
    }
    expect(deliveries.pending.mock.calls[0][0]).toEqual(['a', 'b']);
    expect(runtime.event.mock.calls.map(([id]) => id)).toEqual(['b']);
    // The pass the delivery's end woke asks about b, whose lane may hold a next event: not about a and b again.
    expect(deliveries.pending.mock.calls[1][0]).toEqual(['b']);
  });
});
