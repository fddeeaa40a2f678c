import { EventBus } from '@app/common';
import { type HookCallEvent, PluginRuntime } from '@app/runtime';
import { inlinePlugin } from '@app/runtime/testing.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { quantile } from '../apps/api/src/metrics/latency-histogram.js';
import { ObservationFlusher } from '../apps/api/src/metrics/observation-flusher.js';
import { MetricBucketRepository } from '../apps/api/src/metrics/persistence/metric-bucket.repository.js';
import { PluginLogRepository } from '../apps/api/src/metrics/persistence/plugin-log.repository.js';
import { useTestApp } from './support/app.js';
import { OBSERVED_PLUGIN_CODE, OBSERVED_PLUGIN_PERMISSIONS } from './support/observed-plugin.js';

const SECRET = 'sk-live-abcdef0123456789';

/**
 * What the runtime observed, recorded in Mongo: per-minute buckets and plugin log lines, read back through the
 * metrics module's repositories (the endpoints over them need installations, which land separately).
 */
describe('recording what plugins really do', () => {
  const t = useTestApp({ env: { PLUGHUB_RUNTIME_WORKERS: '1', PLUGHUB_PLUGIN_LOG_RATE: '50' } });
  const spec = inlinePlugin(OBSERVED_PLUGIN_CODE, {
    pluginKey: 'acme.observed',
    permissions: [...OBSERVED_PLUGIN_PERMISSIONS],
    config: { region: 'eu' },
    secrets: { api_key: SECRET },
  });
  const calls: HookCallEvent[] = [];
  let runtime: PluginRuntime;

  beforeAll(async () => {
    runtime = t.app.get(PluginRuntime);
    t.app.get(EventBus).on('runtime.call', (c) => void (c.installationId === spec.installationId && calls.push(c)));
    await runtime.load(spec);
    for (let i = 0; i < 6; i++) await runtime.message(spec.installationId, { type: 'work', data: { sleep_ms: 20 } });
    for (let i = 0; i < 2; i++) {
      await expect(
        runtime.message(spec.installationId, { type: 'work', data: { sleep_ms: 5, fail: true } }),
      ).rejects.toThrow();
    }
    await runtime.message(spec.installationId, { type: 'work', data: { leak_secret: true } });
    await runtime.message(spec.installationId, {
      type: 'work',
      data: { log: 'order 7 shipped', fields: { order: 7 } },
    });
    await t.app.get(ObservationFlusher).flush();
  });

  it('stores per-minute buckets with exactly the calls, failures and durations the runtime saw', async () => {
    const from = new Date(Math.min(...calls.map((c) => c.at.getTime())) - 60_000);
    const to = new Date(Date.now() + 60_000);
    const windows = await t.app
      .get(MetricBucketRepository)
      .series(spec.installationId, from, to, 86_400_000, t.clock.now());
    const total = windows.reduce(
      (acc, w) => ({ calls: acc.calls + w.calls, errors: acc.errors + w.errors, sum: acc.sum + w.durationSumMs }),
      { calls: 0, errors: 0, sum: 0 },
    );
    // The plugin's traffic: onInit (and any onHealth) are counted per hook, not as requests.
    const traffic = calls.filter((c) => c.hook === 'onMessage');
    expect(traffic).toHaveLength(10);
    expect(total.calls).toBe(10);
    expect(total.errors).toBe(2);
    expect(total.sum).toBeCloseTo(
      traffic.reduce((s, c) => s + c.durationMs, 0),
      6,
    );
    expect(total.sum).toBeGreaterThanOrEqual(6 * 20 + 2 * 5);
    const merged = windows.reduce<Record<number, number>>((acc, w) => {
      for (const [k, n] of Object.entries(w.latency)) acc[Number(k)] = (acc[Number(k)] ?? 0) + n;
      return acc;
    }, {});
    expect(quantile(merged, 0.5)).toBeGreaterThanOrEqual(20 / 1.5); // most calls worked 20 ms
    expect(windows.some((w) => (w.memoryMaxBytes ?? 0) > 0)).toBe(true);
  });

  it('stores plugin lines and runtime error lines, and never the secret setting value', async () => {
    const page = await t.app
      .get(PluginLogRepository)
      .find(
        { installationId: spec.installationId },
        { limit: 100, offset: 0 },
        new Date(t.clock.nowMs() - 30 * 86_400_000),
        t.clock.now(),
      );
    expect(JSON.stringify(page.items)).not.toContain(SECRET);
    const messages = page.items.map((l) => `${l.source}:${l.level}:${l.message}`);
    expect(messages).toContain('plugin:warn:calling upstream with key [redacted]');
    expect(messages).toContain('plugin:info:order 7 shipped');
    expect(messages.filter((m) => m.startsWith('runtime:error:onMessage failed (error)'))).toHaveLength(2);
    expect(JSON.stringify(t.logs)).not.toContain(SECRET);
  });
});
