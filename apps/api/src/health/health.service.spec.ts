import type { InstanceStatus } from '@app/runtime';
import { PluginRuntime } from '@app/runtime';
import { describe, expect, it } from 'vitest';
import { TestClock } from '../../../../test/support/clock.js';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { MetaService } from '../meta/meta.service.js';
import { HealthService } from './health.service.js';
import { DatabaseProbe } from './persistence/database.probe.js';

function setup(ping: () => Promise<void>) {
  const database = strictMock(DatabaseProbe);
  database.ping.mockImplementation(ping);
  const runtime = strictMock(PluginRuntime);
  runtime.workers.mockReturnValue({ alive: 2, dedicated: 1, max: 2 });
  runtime.list.mockReturnValue(
    (['ready', 'ready', 'failed', 'loading'] as const).map((state) => ({ state }) as InstanceStatus),
  );
  const meta = { serverVersion: '0.1.0' } as MetaService;
  return new HealthService(database, meta, runtime, new TestClock());
}

describe('HealthService', () => {
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
