import { type AuditActionEvent, EventBus, JsonLogger, LogOutput } from '@app/common';
import { beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../../test/support/clock.js';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { installationFixture } from '../../../../test/support/fixtures.js';
import { InstallationsService } from '../installation/installations.service.js';
import { LifecycleService } from '../installation/lifecycle.service.js';
import type { PluginHealth, PluginHealthDisabledEvent } from './health.entity.js';
import { UnhealthyInstallationPolicy } from './unhealthy-policy.js';

const ID = '0000000000000000000000a1';

const health = (h: Partial<PluginHealth> = {}): PluginHealth => ({
  installationId: ID,
  status: 'unhealthy',
  lastCheck: new Date(),
  uptimeSeconds: 60,
  checks: [
    { name: 'upstream', status: 'fail' },
    { name: 'error_rate', status: 'pass' },
  ],
  consecutiveFailures: 5,
  metrics: { requestsPerMinute: 0, errorRate: 0, memoryUsageMb: null },
  ...h,
});

describe('UnhealthyInstallationPolicy', () => {
  let installations: ReturnType<typeof strictMock<InstallationsService>>;
  let lifecycle: ReturnType<typeof strictMock<LifecycleService>>;
  let audits: AuditActionEvent[];
  let disabled: PluginHealthDisabledEvent[];

  const policy = (disableAfter: number) => {
    const logger = new JsonLogger(new LogOutput('silent'));
    const events = new EventBus(logger);
    events.on('audit.action', (e) => void audits.push(e));
    events.on('plugin.health_disabled', (e) => void disabled.push(e));
    const config = {
      pluginCheckIntervalMs: 30_000,
      pluginCheckTimeoutMs: 200,
      pluginCheckMaxPerSecond: 20,
      unhealthyAfter: 3,
      disableAfter,
    };
    return new UnhealthyInstallationPolicy(installations, lifecycle, events, config, new TestClock(), logger);
  };

  beforeEach(() => {
    installations = strictMock(InstallationsService);
    lifecycle = strictMock(LifecycleService);
    audits = [];
    disabled = [];
  });

  it('does nothing while off (the default), whatever the health', async () => {
    await policy(0).afterRound(health({ consecutiveFailures: 1000 }));
    expect(audits).toEqual([]);
  });

  it('waits for the configured number of failed rounds and an unhealthy status', async () => {
    const p = policy(5);
    await p.afterRound(health({ consecutiveFailures: 4 }));
    await p.afterRound(health({ status: 'degraded', consecutiveFailures: 9 }));
    expect(audits).toEqual([]);
  });

  it('disables an active installation as the system, and records an event and an audit action', async () => {
    const active = installationFixture({
      id: ID,
      pluginKey: 'acme.p',
      status: 'active',
      target: { scope: 'org', orgId: 'o1' },
    });
    installations.byId.mockResolvedValue(active);
    lifecycle.stop.mockResolvedValue({ ...active, status: 'disabled', enabled: false });
    await policy(5).afterRound(health());

    expect(lifecycle.stop).toHaveBeenCalledWith(
      active,
      { kind: 'system' },
      {
        reason: 'unhealthy for 5 health checks in a row (upstream)',
      },
    );
    expect(disabled).toMatchObject([
      { installationId: ID, pluginKey: 'acme.p', consecutiveFailures: 5, failing: ['upstream'] },
    ]);
    expect(audits).toMatchObject([
      {
        actor: { kind: 'system', component: 'health-policy' },
        action: 'installation.disabled_unhealthy',
        target: { type: 'installation', id: ID, key: 'acme.p' },
        orgId: 'o1',
        outcome: 'success',
        before: { status: 'active' },
        after: { status: 'disabled' },
      },
    ]);
  });

  it('leaves an installation that is no longer active alone', async () => {
    installations.byId.mockResolvedValue(installationFixture({ id: ID, status: 'disabled' }));
    await policy(5).afterRound(health());
    expect(audits).toEqual([]);
  });

  it('records a failed attempt as a failure in the audit log', async () => {
    installations.byId.mockResolvedValue(installationFixture({ id: ID, status: 'active' }));
    lifecycle.stop.mockRejectedValue(new Error('operation in progress'));
    await policy(5).afterRound(health());
    expect(audits).toMatchObject([{ outcome: 'failure', details: { error: 'operation in progress' } }]);
    expect(disabled).toEqual([]);
  });
});
