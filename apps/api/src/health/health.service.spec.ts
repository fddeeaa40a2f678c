import { PluginRuntime } from '@app/runtime';
import { describe, expect, it } from 'vitest';
import { TestClock } from '../../../../test/support/clock.js';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { InProcessMessageBus } from '../messaging/bus/index.js';
import { MetaService } from '../meta/meta.service.js';
import { HealthService } from './health.service.js';
import { DatabaseProbe } from './persistence/database.probe.js';

function setup(ping: () => Promise<void>, bus?: InProcessMessageBus) {
  const database = strictMock(DatabaseProbe);
  database.ping.mockImplementation(ping);
  const runtime = strictMock(PluginRuntime);
  runtime.workers.mockReturnValue({ alive: 2, dedicated: 1, max: 2 });
  runtime.counts.mockReturnValue({ loading: 1, ready: 2, failed: 1, stopping: 0, stopped: 0 });
  const meta = { serverVersion: '0.1.0' } as MetaService;
  return new HealthService(database, meta, runtime, clock, bus);
}

const clock = new TestClock();

function busIn(state: 'connected' | 'reconnecting' | 'closed', sinceMsAgo: number) {
  const bus = strictMock(InProcessMessageBus);
  bus.status.mockReturnValue({
    adapter: 'nats',
    state,
    since: new Date(clock.nowMs() - sinceMsAgo),
    server: '127.0.0.1:4222',
  });
  return bus;
}

describe('HealthService', () => {
  it('reports the bus and stays ready through a short reconnect, not a long one or a closed bus', async () => {
    const up = await setup(() => Promise.resolve(), busIn('connected', 60_000)).readiness();
    expect([up.status, up.checks.bus?.status, up.checks.bus?.adapter, up.checks.bus?.server]).toEqual([
      'ready',
      'up',
      'nats',
      '127.0.0.1:4222',
    ]);
    const blip = await setup(() => Promise.resolve(), busIn('reconnecting', 1000)).readiness();
    expect([blip.status, blip.checks.bus?.state]).toEqual(['ready', 'reconnecting']);
    const outage = await setup(() => Promise.resolve(), busIn('reconnecting', 30_000)).readiness();
    expect([outage.status, outage.checks.bus?.status]).toEqual(['unavailable', 'down']);
    const closed = await setup(() => Promise.resolve(), busIn('closed', 0)).readiness();
    expect(closed.status).toBe('unavailable');
  });

  it('is ready while the database answers, and reports the runtime', async () => {
    const result = await setup(() => Promise.resolve()).readiness();
    expect(result.status).toBe('ready');
    expect(result.checks.database.status).toBe('up');
    expect(result.runtime).toEqual({
      workers_alive: 2,
      workers_dedicated: 1,
      workers_max: 2,
      instances: { loading: 1, ready: 2, failed: 1, stopping: 0, stopped: 0 },
    });
  });

  it('is unavailable while the database fails its ping, saying why', async () => {
    const result = await setup(() => Promise.reject(new Error('connection refused'))).readiness();
    expect(result.status).toBe('unavailable');
    expect(result.checks.database).toMatchObject({ status: 'down', error: 'connection refused' });
  });

  it('reports the runtime in liveness too', () => {
    const live = setup(() => Promise.resolve()).liveness();
    expect(live.status).toBe('ok');
    expect(live.runtime.instances.ready).toBe(2);
  });
});
