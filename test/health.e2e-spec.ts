import { EmbeddedMongoServer } from '@app/embedded-mongo';
import { PluginRuntime } from '@app/runtime';
import { inlinePlugin } from '@app/runtime/testing.js';
import { describe, expect, it } from 'vitest';
import { startTestApp, useTestApp } from './support/app.js';

describe('service health reports the runtime', () => {
  const t = useTestApp({ env: { PLUGHUB_RUNTIME_WORKERS: '2' } });

  it('counts worker threads and instances by state in liveness and readiness', async () => {
    const runtime = t.app.get(PluginRuntime);
    const idle = await t.client().GET('/api/health/');
    expect(idle.data!.runtime).toEqual({
      workers_alive: 0,
      workers_dedicated: 0,
      workers_max: 2,
      instances: { loading: 0, ready: 0, failed: 0, stopping: 0, stopped: 0 },
    });

    const good = inlinePlugin('export default { onMessage() { return 1; } };');
    const broken = inlinePlugin('export default { onInit() { throw new Error("no start"); } };');
    await runtime.load(good);
    await expect(runtime.load(broken)).rejects.toThrow();

    const ready = await t.client().GET('/api/health/ready/');
    expect(ready.response.status).toBe(200);
    expect(ready.data!.status).toBe('ready');
    expect(ready.data!.runtime.instances).toMatchObject({ ready: 1, failed: 1 });
    expect(ready.data!.runtime.workers_alive).toBeGreaterThanOrEqual(1);
    const live = await t.client().GET('/api/health/');
    expect(live.data!.runtime.instances).toMatchObject({ ready: 1, failed: 1 });
    await runtime.stop(good.installationId);
    await runtime.stop(broken.installationId);
  });
});

describe('readiness while the database is unreachable', () => {
  it('answers 503 unavailable with the database check down, and liveness stays up', async () => {
    const database = await EmbeddedMongoServer.start({ dataDir: null });
    const t = await startTestApp({ env: { MONGODB_URI: database.uri } });
    try {
      const before = await t.client().GET('/api/health/ready/');
      expect(before.response.status).toBe(200);
      expect(before.data!.checks.database.status).toBe('up');

      await database.stop();
      const during = await t.client().GET('/api/health/ready/');
      expect(during.response.status).toBe(503);
      expect(during.error).toMatchObject({ status: 'unavailable', checks: { database: { status: 'down' } } });
      const live = await t.client().GET('/api/health/');
      expect(live.response.status).toBe(200);
      expect(t.contractViolations).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
