import { EventBus, JsonLogger, LogOutput, Scheduler } from '@app/common';
import { type HealthReport, type HookCallEvent, type InstanceStatus, PluginRuntime } from '@app/runtime';
import { beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../../test/support/clock.js';
import { strictMock } from '../../../../test/support/strict-mock.js';
import type { PluginHealthChangedEvent } from './health.entity.js';
import { PluginHealthMonitor } from './plugin-health.monitor.js';
import { phaseOffset } from './plugin-health.rules.js';

const ID = 'inst-1';

function report(status: 'pass' | 'fail'): HealthReport {
  return {
    installationId: ID,
    status: status === 'pass' ? 'healthy' : 'unhealthy',
    state: 'ready',
    checks: [{ name: 'upstream', status, details: status === 'pass' ? 'ok' : 'down' }],
    uptimeSeconds: 10,
    responseTimeMs: 2,
  };
}

function call(outcome: HookCallEvent['outcome']): HookCallEvent {
  return {
    installationId: ID,
    pluginKey: 'acme.p',
    version: '1.0.0',
    hook: 'onMessage',
    outcome,
    durationMs: 3,
    at: new Date(),
  };
}

const config = {
  pluginCheckIntervalMs: 30_000,
  pluginCheckTimeoutMs: 200,
  pluginCheckMaxPerSecond: 20,
  unhealthyAfter: 3,
  disableAfter: 0,
};

describe('PluginHealthMonitor', () => {
  let runtime: ReturnType<typeof strictMock<PluginRuntime>>;
  let clock: TestClock;
  let monitor: PluginHealthMonitor;
  let changes: PluginHealthChangedEvent[];

  beforeEach(() => {
    runtime = strictMock(PluginRuntime);
    const instance = {
      installationId: ID,
      pluginKey: 'acme.p',
      state: 'ready',
      startedAt: new Date(Date.now() - 60_000),
      memoryBytes: 2 * 1024 * 1024,
    } as InstanceStatus;
    runtime.status.mockReturnValue(instance);
    runtime.ids.mockReturnValue([ID]);
    runtime.stateOf.mockReturnValue('ready');
    clock = new TestClock();
    const logger = new JsonLogger(new LogOutput('silent'));
    const events = new EventBus(logger);
    changes = [];
    events.on('plugin.health_changed', (e) => void changes.push(e));
    monitor = new PluginHealthMonitor(runtime, events, config, clock, new Scheduler(logger), logger);
  });

  it('goes unhealthy after three failed rounds in a row, and healthy again after one that passes', async () => {
    runtime.health.mockResolvedValue(report('fail'));
    expect((await monitor.check(ID)).status).toBe('degraded');
    expect((await monitor.check(ID)).status).toBe('degraded');
    const third = await monitor.check(ID);
    expect(third).toMatchObject({ status: 'unhealthy', consecutiveFailures: 3 });
    expect(third.checks.find((c) => c.name === 'upstream')).toMatchObject({ status: 'fail', responseTimeMs: 2 });

    runtime.health.mockResolvedValue(report('pass'));
    expect(await monitor.check(ID)).toMatchObject({ status: 'healthy', consecutiveFailures: 0 });
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual([
      'unknown>degraded',
      'degraded>unhealthy',
      'unhealthy>healthy',
    ]);
  });

  it('fails a round whose onHealth does not answer within the timeout', async () => {
    runtime.health.mockReturnValue(new Promise<HealthReport>(() => undefined));
    const result = await monitor.check(ID);
    expect(result.checks[0]).toMatchObject({ name: 'onHealth', status: 'fail' });
    expect(result.consecutiveFailures).toBe(1);
  });

  it('fails a round on the recent error rate, which forgets calls older than the window', async () => {
    runtime.health.mockResolvedValue(report('pass'));
    for (let i = 0; i < 6; i++) monitor.onCall(call('error'));
    for (let i = 0; i < 4; i++) monitor.onCall(call('ok'));
    const failing = await monitor.check(ID);
    expect(failing.checks.find((c) => c.name === 'error_rate')).toMatchObject({ status: 'fail', value: 0.6 });
    expect(failing.metrics).toEqual({ requestsPerMinute: 2, errorRate: 0.6, memoryUsageMb: 2 });

    clock.advance(5 * 60_000);
    const later = await monitor.check(ID);
    expect(later.checks.find((c) => c.name === 'error_rate')).toMatchObject({ status: 'pass', value: 0 });
    expect(later.status).toBe('healthy');
  });

  it('runs each installation when its turn in the interval comes, then once per interval', async () => {
    runtime.health.mockResolvedValue(report('pass'));
    await monitor.runDue(); // first sight: scheduled at its offset inside the interval
    clock.advance(30_000);
    await monitor.runDue();
    await monitor.runDue();
    expect(runtime.health).toHaveBeenCalledTimes(1);
    clock.advance(30_000);
    await monitor.runDue();
    expect(runtime.health).toHaveBeenCalledTimes(2);
  });

  it('starts at most the rate bound per tick, earliest due first, and forgets installations no longer hosted', async () => {
    // 20 checks a second in ticks of 100 ms: 2 a tick. Ten installations, each due at its own offset.
    const ids = Array.from({ length: 10 }, (_, i) => `inst-${i}`);
    runtime.ids.mockReturnValue(ids);
    runtime.stateOf.mockImplementation((id) => (id === 'inst-3' ? undefined : 'ready'));
    const checked: string[] = [];
    runtime.health.mockImplementation((id) => {
      checked.push(id);
      return Promise.resolve({ ...report('pass'), installationId: id });
    });
    await monitor.runDue(); // first sight of all ten: none due yet
    expect(checked).toEqual([]);
    clock.advance(30_000); // all due now
    const ticks: string[][] = [];
    for (let tick = 0; tick < 6; tick++) {
      const before = checked.length;
      await monitor.runDue();
      ticks.push(checked.slice(before));
      clock.advance(100); // a tick apart: the next interval's order does not hang on the real time between them
    }
    expect(ticks.map((t) => t.length)).toEqual([2, 2, 2, 2, 1, 0]);
    // Each checked once, earliest offset first; inst-3, which the runtime no longer hosts, not at all.
    const byOffset = ids
      .filter((id) => id !== 'inst-3')
      .sort((a, b) => phaseOffset(a, 30_000) - phaseOffset(b, 30_000));
    expect(checked).toEqual(byOffset);
    clock.advance(30_000);
    await monitor.runDue();
    // The next interval in the order of the last checks: the first tick's two (which of them ended first may vary).
    expect(new Set(checked.slice(9))).toEqual(new Set(byOffset.slice(0, 2)));
    expect(checked).toHaveLength(11);
  });

  it('learns of an installation from its state change, and drops it when it stops', async () => {
    runtime.ids.mockReturnValue([]);
    runtime.health.mockResolvedValue(report('pass'));
    await monitor.runDue(); // the sweep finds nothing
    monitor.onState({ installationId: ID, pluginKey: 'acme.p', from: 'loading', to: 'ready', at: new Date() });
    clock.advance(30_000);
    await monitor.runDue();
    expect(runtime.health).toHaveBeenCalledTimes(1);
    monitor.onState({ installationId: ID, pluginKey: 'acme.p', from: 'ready', to: 'stopped', at: new Date() });
    clock.advance(30_000);
    await monitor.runDue();
    expect(runtime.health).toHaveBeenCalledTimes(1);
  });

  it('is unknown before any check of an installation the runtime does not host', async () => {
    runtime.status.mockReturnValue(undefined);
    expect(await monitor.current('elsewhere')).toMatchObject({ status: 'unknown', lastCheck: null, checks: [] });
  });
});
