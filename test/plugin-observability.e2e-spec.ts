import type { AuthUser } from '@app/common';
import { EventBus } from '@app/common';
import { type HookCallEvent, PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { PluginHealthMonitor } from '../apps/api/src/health/plugin-health.monitor.js';
import { ObservationFlusher } from '../apps/api/src/metrics/observation-flusher.js';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';
import { OBSERVED_PLUGIN_CODE, OBSERVED_PLUGIN_PERMISSIONS } from './support/observed-plugin.js';

type User = Awaited<ReturnType<TestApp['createUser']>>;

const KEY = 'acme.observed';
const SECRET = 'sk-live-observed-secret-0123456789';
const DAY = 86_400_000;
const REVIEWER: AuthUser = {
  id: '0000000000000000000000ac',
  email: 'reviewer@observed.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

/**
 * The health, metrics, logs and summary endpoints over a real installation of the test plugin that sleeps and
 * throws on command: every figure they answer is the one the runtime saw.
 */
describe('plugin health, metrics and logs endpoints', () => {
  const t = useTestApp({
    env: {
      PLUGHUB_RUNTIME_WORKERS: '1',
      PLUGHUB_PLUGIN_UNHEALTHY_AFTER: '2',
      // The test drives the rounds itself (clock + runDue); a day apart, none happens on its own.
      PLUGHUB_PLUGIN_HEALTH_INTERVAL_MS: String(DAY),
      PLUGHUB_METRICS_RETENTION_DAYS: '1',
    },
  });
  const path = { params: { path: { plugin: KEY } } };
  const calls: HookCallEvent[] = [];
  let owner: User;
  let outsider: User;
  let installationId: string;
  let startedAt: Date;

  const send = (data: Record<string, unknown>) =>
    t.app.get(PluginRuntime).message(installationId, { type: 'go', data });

  beforeAll(async () => {
    const publisher = await t.createUser({ email: 'pub@observed.test', roles: ['publisher'], handle: 'acme' });
    owner = await t.createUser({ email: 'owner@observed.test' });
    outsider = await t.createUser({ email: 'out@observed.test' });
    const manifest = {
      key: KEY,
      name: 'Observed',
      version: '1.0.0',
      description: 'Sleeps, logs and throws on command',
      author: 'Acme Labs',
      license: 'MIT',
      runtime: { type: 'sandbox', entry: 'runner.js' },
      permissions: [...OBSERVED_PLUGIN_PERMISSIONS],
      settings: { api_key: { type: 'string', secret: true, required: true } },
    };
    const pub = await publisher.client.POST('/api/plugins/', {
      body: { manifest, files: { runner: OBSERVED_PLUGIN_CODE }, scope: 'public' } as never,
    });
    expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
    await t.app.get(ModerationService).reviewVersion(REVIEWER, KEY, '1.0.0', 'approved');
    const installed = await owner.client.POST('/api/plugins/{plugin}/install/', {
      ...path,
      body: { config: { api_key: SECRET } } as never,
    });
    expect(installed.response.status, JSON.stringify(installed.error)).toBe(201);
    installationId = (installed.data as { installation: { id: string } }).installation.id;
    t.app.get(EventBus).on('runtime.call', (c) => void (c.installationId === installationId && calls.push(c)));

    startedAt = t.clock.now();
    for (let i = 0; i < 6; i++) await send({ sleep_ms: 20 });
    for (let i = 0; i < 2; i++) await expect(send({ sleep_ms: 5, fail: true })).rejects.toThrow();
    await send({ leak_secret: true });
    await send({ log: 'order 7 shipped', fields: { order: 7 } });
    await t.app.get(ObservationFlusher).flush();
  });

  const traffic = () => calls.filter((c) => c.hook === 'onMessage');

  describe('GET /api/plugins/{plugin}/metrics/', () => {
    it('reports exactly the calls, failures and durations the runtime saw', async () => {
      const res = await owner.client.GET('/api/plugins/{plugin}/metrics/', {
        params: {
          path: { plugin: KEY },
          query: { start_time: new Date(startedAt.getTime() - 60_000).toISOString(), resolution: '1h' },
        },
      });
      expect(res.response.status, JSON.stringify(res.error)).toBe(200);
      const seen = traffic();
      expect(seen).toHaveLength(10);
      const sum = seen.reduce((s, c) => s + c.durationMs, 0);
      expect(res.data!.installation_id).toBe(installationId);
      expect(res.data!.totals).toMatchObject({ calls: 10, errors: 2, error_rate: 0.2 });
      expect(res.data!.totals.response_time_ms).toBeCloseTo(sum / 10, 2);
      expect(res.data!.totals.response_time_p95_ms).toBeGreaterThanOrEqual(20 / 1.5);
      expect(res.data!.totals.memory_usage_mb).toBeGreaterThan(0);
      const points = res.data!.metrics.calls!;
      expect(points.reduce((s, p) => s + p.value, 0)).toBe(10);
      expect(res.data!.metrics.errors!.reduce((s, p) => s + p.value, 0)).toBe(2);
    });

    it('answers only the series asked for, at the resolution asked for', async () => {
      const end = new Date(Math.ceil(t.clock.nowMs() / 60_000) * 60_000 + 60_000);
      const start = new Date(end.getTime() - 10 * 60_000);
      const res = await owner.client.GET('/api/plugins/{plugin}/metrics/', {
        params: {
          path: { plugin: KEY },
          query: {
            start_time: start.toISOString(),
            end_time: end.toISOString(),
            resolution: '1m',
            metrics: 'requests_per_minute,error_rate',
          },
        },
      });
      expect(res.response.status, JSON.stringify(res.error)).toBe(200);
      expect(Object.keys(res.data!.metrics).sort()).toEqual(['error_rate', 'requests_per_minute']);
      expect(res.data!.metrics.requests_per_minute).toHaveLength(10);
      expect(res.data!.metrics.requests_per_minute!.reduce((s, p) => s + p.value, 0)).toBe(10);
      expect(res.data!.time_range).toEqual({ start: start.toISOString(), end: end.toISOString(), resolution: '1m' });
    });

    it('rejects a reversed range, too many windows and an unknown resolution or series', async () => {
      const get = (query: Record<string, string>) =>
        owner.client.GET('/api/plugins/{plugin}/metrics/', {
          params: { path: { plugin: KEY }, query: query as never },
        });
      const reversed = await get({ start_time: '2026-12-01T12:00:00Z', end_time: '2026-12-01T11:00:00Z' });
      expect([reversed.response.status, reversed.error?.code, reversed.error?.details?.reason]).toEqual([
        400,
        'VALIDATION_ERROR',
        'invalid_range',
      ]);
      const many = await get({
        start_time: '2026-01-01T00:00:00Z',
        end_time: '2026-12-01T00:00:00Z',
        resolution: '1m',
      });
      expect([many.response.status, many.error?.details?.reason]).toEqual([400, 'too_many_points']);
      const bad: Array<Record<string, string>> = [
        { resolution: '2m' },
        { metrics: 'requests_per_minute,cpu' },
        { start_time: 'yesterday' },
      ];
      for (const query of bad) {
        const res = await get(query);
        expect([res.response.status, res.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
      }
    });

    it('is 404 for someone who cannot see the installation', async () => {
      const res = await outsider.client.GET('/api/plugins/{plugin}/metrics/', path);
      expect([res.response.status, res.error?.code]).toEqual([404, 'PLUGIN_NOT_FOUND']);
    });
  });

  describe('usage stats and the summary', () => {
    it('the installation counts the same executions, failures and time', async () => {
      const res = await owner.client.GET('/api/installations/{id}/', { params: { path: { id: installationId } } });
      expect(res.response.status).toBe(200);
      const sum = traffic().reduce((s, c) => s + c.durationMs, 0);
      expect(res.data).toMatchObject({ execution_count: 10, error_count: 2 });
      expect(res.data!.total_execution_time_ms).toBeCloseTo(sum, 3);
      expect(res.data!.last_error?.message).toContain('asked to fail');
    });

    it('GET /api/metrics/summary/ counts installations by status and sums their usage (admins only)', async () => {
      const admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
      const res = await admin.GET('/api/metrics/summary/');
      expect(res.response.status, JSON.stringify(res.error)).toBe(200);
      expect(res.data!.installations).toMatchObject({ total: 1, active: 1, disabled: 0, failed: 0 });
      expect(res.data!.usage).toMatchObject({ execution_count: 10, error_count: 2 });
      expect(res.data!.last_24h).toMatchObject({ calls: 10, errors: 2, error_rate: 0.2 });
      const denied = await owner.client.GET('/api/metrics/summary/');
      expect([denied.response.status, denied.error?.code]).toEqual([403, 'FORBIDDEN']);
    });
  });

  describe('GET /api/plugins/{plugin}/logs/', () => {
    it('lists plugin and runtime lines newest first, filtered by level and search, never the secret', async () => {
      const all = await owner.client.GET('/api/plugins/{plugin}/logs/', path);
      expect(all.response.status, JSON.stringify(all.error)).toBe(200);
      expect(JSON.stringify(all.data)).not.toContain(SECRET);
      expect(all.data!.count).toBe(4);
      expect(all.data!.count_relation).toBe('eq');
      const stamps = all.data!.results.map((l) => l.timestamp);
      expect([...stamps].sort().reverse()).toEqual(stamps);
      expect(all.data!.results.map((l) => `${l.source}:${l.level}:${l.message}`)).toContain(
        'plugin:warn:calling upstream with key [redacted]',
      );

      const errors = await owner.client.GET('/api/plugins/{plugin}/logs/', {
        params: { path: { plugin: KEY }, query: { level: 'error' } },
      });
      expect(errors.data!.count).toBe(2);
      expect(errors.data!.results.every((l) => l.source === 'runtime' && l.metadata?.hook === 'onMessage')).toBe(true);

      const warnUp = await owner.client.GET('/api/plugins/{plugin}/logs/', {
        params: { path: { plugin: KEY }, query: { level: 'warn' } },
      });
      expect(warnUp.data!.count).toBe(3);

      const found = await owner.client.GET('/api/plugins/{plugin}/logs/', {
        params: { path: { plugin: KEY }, query: { search: 'ORDER 7', limit: 1 } },
      });
      expect([found.data!.count, found.data!.count_relation]).toEqual([1, 'eq']);
      expect(found.data!.results[0]).toMatchObject({
        level: 'info',
        message: 'order 7 shipped',
        metadata: { order: 7 },
      });

      const page = await owner.client.GET('/api/plugins/{plugin}/logs/', {
        params: { path: { plugin: KEY }, query: { limit: 2, offset: 2 } },
      });
      expect(page.data!.results.map((l) => l.timestamp)).toEqual(stamps.slice(2, 4));
    });

    it('rejects a reversed range and an unknown level; 404 for someone who cannot see it', async () => {
      const reversed = await owner.client.GET('/api/plugins/{plugin}/logs/', {
        params: {
          path: { plugin: KEY },
          query: { start_time: '2026-12-02T00:00:00Z', end_time: '2026-12-01T00:00:00Z' },
        },
      });
      expect([reversed.response.status, reversed.error?.details?.reason]).toEqual([400, 'invalid_range']);
      const level = await owner.client.GET('/api/plugins/{plugin}/logs/', {
        params: { path: { plugin: KEY }, query: { level: 'loud' as never } },
      });
      expect([level.response.status, level.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
      const hidden = await outsider.client.GET('/api/plugins/{plugin}/logs/', path);
      expect([hidden.response.status, hidden.error?.code]).toEqual([404, 'PLUGIN_NOT_FOUND']);
    });
  });

  describe('GET /api/plugins/{plugin}/health/', () => {
    it('goes unhealthy when the plugin starts failing and healthy again after it recovers', async () => {
      const monitor = t.app.get(PluginHealthMonitor);
      const health = async () => {
        const res = await owner.client.GET('/api/plugins/{plugin}/health/', path);
        expect(res.response.status, JSON.stringify(res.error)).toBe(200);
        return res.data!;
      };
      const round = async () => {
        t.clock.advance(DAY);
        await monitor.runDue();
      };
      // The first read runs the first round (the two failures above are 2 of 10 calls: a warning).
      const first = await health();
      expect(first).toMatchObject({ installation_id: installationId, status: 'degraded', consecutive_failures: 0 });
      expect(first.checks.find((c) => c.name === 'runtime')).toMatchObject({ status: 'pass' });
      expect(first.checks.find((c) => c.name === 'upstream')).toMatchObject({ status: 'pass' });
      expect(first.checks.find((c) => c.name === 'error_rate')).toMatchObject({ status: 'warn', value: 0.2 });
      expect(first.metrics.error_rate).toBe(0.2);
      expect(first.metrics.requests_per_minute).toBe(2); // 10 calls over the 5-minute window
      expect(first.last_check).not.toBeNull();

      await send({ unhealthy: true });
      await round();
      expect(await health()).toMatchObject({ status: 'degraded', consecutive_failures: 1 });
      await round();
      const down = await health();
      expect(down).toMatchObject({ status: 'unhealthy', consecutive_failures: 2 });
      expect(down.checks.find((c) => c.name === 'upstream')).toMatchObject({ status: 'fail', details: 'told to fail' });

      await send({ unhealthy: false });
      await round();
      const up = await health();
      expect(up).toMatchObject({ status: 'healthy', consecutive_failures: 0 });
      expect(up.checks.every((c) => c.status === 'pass')).toBe(true);
    });

    it('is 404 for someone who cannot see the installation', async () => {
      const res = await outsider.client.GET('/api/plugins/{plugin}/health/', path);
      expect([res.response.status, res.error?.code]).toEqual([404, 'PLUGIN_NOT_FOUND']);
    });
  });

  describe('retention', () => {
    it('metrics and log lines older than PLUGHUB_METRICS_RETENTION_DAYS are gone from every answer', async () => {
      t.clock.advance(2 * DAY);
      const metrics = await owner.client.GET('/api/plugins/{plugin}/metrics/', {
        params: {
          path: { plugin: KEY },
          query: {
            start_time: new Date(startedAt.getTime() - DAY).toISOString(),
            end_time: new Date(startedAt.getTime() + DAY).toISOString(),
            resolution: '1h',
          },
        },
      });
      expect(metrics.response.status, JSON.stringify(metrics.error)).toBe(200);
      expect(metrics.data!.totals).toMatchObject({ calls: 0, errors: 0 });
      const logs = await owner.client.GET('/api/plugins/{plugin}/logs/', path);
      expect(logs.data!.count).toBe(0);
    });
  });
});
