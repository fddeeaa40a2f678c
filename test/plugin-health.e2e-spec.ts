import { EventBus } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { inlinePlugin } from '@app/runtime/testing.js';
import { describe, expect, it } from 'vitest';
import type { PluginHealthChangedEvent } from '../apps/api/src/health/health.entity.js';
import { PluginHealthMonitor } from '../apps/api/src/health/plugin-health.monitor.js';
import { useTestApp } from './support/app.js';
import { OBSERVED_PLUGIN_CODE, OBSERVED_PLUGIN_PERMISSIONS } from './support/observed-plugin.js';

/** The background checks against a real sandboxed plugin (the endpoint over them needs installations). */
describe('plugin health from real checks', () => {
  const t = useTestApp({ env: { PLUGHUB_RUNTIME_WORKERS: '1', PLUGHUB_PLUGIN_UNHEALTHY_AFTER: '2' } });

  it('goes unhealthy when the plugin starts failing and healthy again after it recovers', async () => {
    const runtime = t.app.get(PluginRuntime);
    const monitor = t.app.get(PluginHealthMonitor);
    const changes: PluginHealthChangedEvent[] = [];
    const spec = inlinePlugin(OBSERVED_PLUGIN_CODE, { permissions: [...OBSERVED_PLUGIN_PERMISSIONS] });
    t.app
      .get(EventBus)
      .on('plugin.health_changed', (e) => void (e.installationId === spec.installationId && changes.push(e)));
    await runtime.load(spec);
    const send = (data: Record<string, unknown>) => runtime.message(spec.installationId, { type: 'go', data });

    for (let i = 0; i < 2; i++) await send({ sleep_ms: 1 });
    expect(await monitor.check(spec.installationId)).toMatchObject({ status: 'healthy', consecutiveFailures: 0 });

    await send({ unhealthy: true });
    // Four failures: the runtime's crash policy (5 within a minute) would mark the instance failed at the fifth.
    for (let i = 0; i < 4; i++) await expect(send({ fail: true })).rejects.toThrow();
    expect((await monitor.check(spec.installationId)).status).toBe('degraded');
    const down = await monitor.check(spec.installationId);
    expect(down).toMatchObject({ status: 'unhealthy', consecutiveFailures: 2 });
    expect(down.checks.find((c) => c.name === 'upstream')).toMatchObject({ status: 'fail', details: 'told to fail' });
    expect(down.checks.find((c) => c.name === 'error_rate')).toMatchObject({ status: 'fail' });
    expect(down.metrics.errorRate).toBeCloseTo(4 / 7, 4);

    await send({ unhealthy: false });
    t.clock.advance(5 * 60_000); // the failures leave the error-rate window
    const up = await monitor.check(spec.installationId);
    expect(up).toMatchObject({ status: 'healthy', consecutiveFailures: 0 });
    expect(changes.map((c) => c.to)).toEqual(['healthy', 'degraded', 'unhealthy', 'healthy']);
    await runtime.stop(spec.installationId);
  });
});
