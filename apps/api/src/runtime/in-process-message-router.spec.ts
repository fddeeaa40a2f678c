import { Clock, EventBus } from '@app/common';
import { type InstanceStatus, PluginRuntime, RuntimeError } from '@app/runtime';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureLogger } from '../../../../test/support/fixtures.js';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { InProcessMessageRouter } from './in-process-message-router.js';
import type { PluginEmittedEvent } from './runtime.entity.js';

const instance = (installationId: string, pluginKey: string, state: InstanceStatus['state']): InstanceStatus => ({
  installationId,
  pluginKey,
  version: '1.0.0',
  kind: 'sandbox',
  state,
  pending: 0,
  calls: 0,
  errors: 0,
  recentFailures: 0,
  cpuMs: 0,
  limits: { memory_mb: 64, timeout_ms: 1000, max_pending: 16, storage_quota_bytes: 1_048_576 },
  grants: [],
});

/** A clock stopped at one instant, so an event's time shows it came from the injected clock. */
class StoppedClock extends Clock {
  readonly at = new Date('2026-12-01T10:00:00.000Z');
  now(): Date {
    return new Date(this.at);
  }
}

describe('InProcessMessageRouter', () => {
  let runtime: ReturnType<typeof strictMock<PluginRuntime>>;
  let clock: StoppedClock;
  let events: EventBus;
  let emitted: PluginEmittedEvent[];
  let router: InProcessMessageRouter;

  beforeEach(() => {
    runtime = strictMock(PluginRuntime);
    const instances = [instance('i-sender', 'acme.sender', 'ready'), instance('i-target', 'acme.target', 'ready')];
    runtime.status.mockImplementation((id: string) => instances.find((s) => s.installationId === id));
    runtime.ids.mockImplementation(({ pluginKey, state, limit } = {}) =>
      instances
        .filter((s) => (pluginKey ?? s.pluginKey) === s.pluginKey && (state ?? s.state) === s.state)
        .map((s) => s.installationId)
        .slice(0, limit),
    );
    clock = new StoppedClock();
    events = new EventBus(captureLogger().logger);
    emitted = [];
    events.on('plugin.event', (e) => void emitted.push(e));
    router = new InProcessMessageRouter(() => runtime, events, clock);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('puts an emitted event on the bus with the plugin key and the clock’s time', () => {
    router.emitEvent('i-sender', { type: 'order.shipped', data: { order: 7 } });
    expect(emitted).toEqual([
      {
        installationId: 'i-sender',
        pluginKey: 'acme.sender',
        type: 'order.shipped',
        data: { order: 7 },
        at: clock.at,
      },
    ]);
  });

  it('names no plugin for an event of an installation that is no longer loaded', () => {
    router.emitEvent('i-gone', { type: 'x', data: null });
    expect(emitted.map((e) => e.pluginKey)).toEqual([null]);
  });

  it('delivers a message to the ready installation of the target, from the sender’s plugin', async () => {
    runtime.message.mockResolvedValue({ ok: true });
    await expect(router.sendMessage('i-sender', 'acme.target', 'ping', { n: 1 }, 1000)).resolves.toEqual({ ok: true });
    expect(runtime.message.mock.calls).toEqual([['i-target', { type: 'ping', data: { n: 1 }, from: 'acme.sender' }]]);
  });

  it('refuses a message to a plugin with no ready installation on this node as PLUGIN_NOT_LOADED', async () => {
    const sent = router.sendMessage('i-sender', 'acme.absent', 'ping', null, 1000);
    await expect(sent).rejects.toMatchObject({ code: 'PLUGIN_NOT_LOADED' });
  });

  it('fails a message that gets no answer within the sender’s timeout as PLUGIN_TIMEOUT', async () => {
    vi.useFakeTimers();
    runtime.message.mockReturnValue(new Promise(() => undefined));
    const sent = router.sendMessage('i-sender', 'acme.target', 'ping', null, 1000);
    const outcome = sent.then(
      () => null,
      (err: unknown) => err,
    );
    await vi.advanceTimersByTimeAsync(1000);
    const error = await outcome;
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe('PLUGIN_TIMEOUT');
  });
});
