import { type AuditActionEvent, type AuthUser, EventBus, type PlughubEvents } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PluginHealthDisabledEvent } from '../apps/api/src/health/health.entity.js';
import { PluginHealthMonitor } from '../apps/api/src/health/plugin-health.monitor.js';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';
import { OBSERVED_PLUGIN_CODE, OBSERVED_PLUGIN_PERMISSIONS } from './support/observed-plugin.js';

const KEY = 'acme.flaky';
const DAY = 86_400_000;
const REVIEWER: AuthUser = {
  id: '0000000000000000000000ad',
  email: 'reviewer@flaky.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};

/** The optional policy: an installation that stays unhealthy is disabled by the system, and that is recorded. */
describe('disabling an installation that stays unhealthy', () => {
  const t = useTestApp({
    env: {
      PLUGHUB_RUNTIME_WORKERS: '1',
      PLUGHUB_PLUGIN_UNHEALTHY_AFTER: '2',
      PLUGHUB_PLUGIN_UNHEALTHY_DISABLE_AFTER: '3',
      PLUGHUB_PLUGIN_HEALTH_INTERVAL_MS: String(DAY),
    },
  });
  const path = { params: { path: { plugin: KEY } } };
  let owner: Awaited<ReturnType<TestApp['createUser']>>;
  let installationId: string;
  const audits: AuditActionEvent[] = [];
  const policyEvents: PluginHealthDisabledEvent[] = [];
  const disabledEvents: Array<PlughubEvents['plugin.disabled']> = [];

  beforeAll(async () => {
    const publisher = await t.createUser({ email: 'pub@flaky.test', roles: ['publisher'], handle: 'acme' });
    owner = await t.createUser({ email: 'owner@flaky.test' });
    const manifest = {
      key: KEY,
      name: 'Flaky',
      version: '1.0.0',
      description: 'Fails its health checks on command',
      author: 'Acme Labs',
      license: 'MIT',
      runtime: { type: 'sandbox', entry: 'runner.js' },
      permissions: [...OBSERVED_PLUGIN_PERMISSIONS],
    };
    const pub = await publisher.client.POST('/api/plugins/', {
      body: { manifest, files: { runner: OBSERVED_PLUGIN_CODE }, scope: 'public' } as never,
    });
    expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
    await t.app.get(ModerationService).reviewVersion(REVIEWER, KEY, '1.0.0', 'approved');
    const installed = await owner.client.POST('/api/plugins/{plugin}/install/', { ...path, body: {} as never });
    expect(installed.response.status, JSON.stringify(installed.error)).toBe(201);
    installationId = (installed.data as { installation: { id: string } }).installation.id;
    const bus = t.app.get(EventBus);
    bus.on('audit.action', (e) => void (e.action === 'installation.disabled_unhealthy' && audits.push(e)));
    bus.on('plugin.health_disabled', (e) => void policyEvents.push(e));
    bus.on('plugin.disabled', (e) => void disabledEvents.push(e));
  });

  it('disables it after the configured failed rounds, as the system, with an event and an audit action', async () => {
    const monitor = t.app.get(PluginHealthMonitor);
    await t.app.get(PluginRuntime).message(installationId, { type: 'go', data: { unhealthy: true } });
    const statusOf = async () =>
      (await owner.client.GET('/api/installations/{id}/', { params: { path: { id: installationId } } })).data!;
    const round = async () => {
      t.clock.advance(DAY);
      await monitor.runDue();
    };

    await monitor.check(installationId); // the first round, as a read of the health would run it
    await round(); // 2 in a row: unhealthy, but the policy wants 3
    const unhealthy = await owner.client.GET('/api/plugins/{plugin}/health/', path);
    expect(unhealthy.data).toMatchObject({ status: 'unhealthy', consecutive_failures: 2 });
    expect(await statusOf()).toMatchObject({ status: 'active' });
    expect(audits).toEqual([]);

    await round();
    expect(await statusOf()).toMatchObject({
      status: 'disabled',
      enabled: false,
      status_reason: 'unhealthy for 3 health checks in a row (upstream)',
    });
    expect(policyEvents).toMatchObject([
      { installationId, pluginKey: KEY, consecutiveFailures: 3, failing: ['upstream'] },
    ]);
    expect(disabledEvents.filter((e) => e.installationId === installationId)).toHaveLength(1);
    expect(audits).toMatchObject([
      {
        actor: { kind: 'system', component: 'health-policy' },
        action: 'installation.disabled_unhealthy',
        target: { type: 'installation', id: installationId, key: KEY },
        outcome: 'success',
        after: { status: 'disabled' },
      },
    ]);

    // The admin module wrote it to the audit log.
    const admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    const audit = await admin.GET('/api/admin/audit/', {
      params: { query: { action: 'installation.disabled_unhealthy' } },
    });
    expect(audit.response.status, JSON.stringify(audit.error)).toBe(200);
    expect(audit.data!.results).toMatchObject([
      { actor: { kind: 'system', component: 'health-policy' }, outcome: 'success', target: { id: installationId } },
    ]);

    // Switched off, it is no longer checked, and its health says so.
    await round();
    expect(audits).toHaveLength(1);
    const after = await owner.client.GET('/api/plugins/{plugin}/health/', path);
    expect(after.data).toMatchObject({ status: 'unknown' });
    expect(after.data!.checks.find((c) => c.name === 'runtime')).toMatchObject({ status: 'warn' });
  });
});
