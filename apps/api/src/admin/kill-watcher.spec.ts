import { strictMock } from '@test/support/strict-mock.js';
import { type AuditActionEvent, Clock, EventBus, JsonLogger, LogOutput, Scheduler } from '@app/common';
import type { InstanceStatus } from '@app/runtime';
import { beforeEach, describe, expect, it } from 'vitest';
import { InstallationRuntime } from '../installation/installation-runtime.js';
import { LifecycleService } from '../installation/lifecycle.service.js';
import { ModerationService } from '../registry/moderation.service.js';
import type { Plugin } from '../registry/registry.entity.js';
import { KillWatcher } from './kill-watcher.js';

class FixedClock extends Clock {
  now(): Date {
    return new Date(Date.UTC(2026, 11, 1, 12));
  }
}

const changedAt = new Date(Date.UTC(2026, 11, 1, 11, 59));
const plugin = (killed: boolean): Plugin =>
  ({
    key: 'acme.x',
    killed,
    killedVersions: [],
    killedReason: killed ? 'Leaks data' : 'Fixed',
    killChangedAt: changedAt,
  }) as unknown as Plugin;
const instance = { installationId: 'i1', pluginKey: 'acme.x', version: '1.0.0' } as InstanceStatus;

let moderation: ReturnType<typeof strictMock<ModerationService>>;
let runtime: ReturnType<typeof strictMock<InstallationRuntime>>;
let lifecycle: ReturnType<typeof strictMock<LifecycleService>>;
let audited: AuditActionEvent[];
let watcher: KillWatcher;

beforeEach(() => {
  moderation = strictMock(ModerationService);
  runtime = strictMock(InstallationRuntime);
  lifecycle = strictMock(LifecycleService);
  const logger = new JsonLogger(new LogOutput('silent'));
  const bus = new EventBus(logger);
  audited = [];
  bus.on('audit.action', (e) => {
    audited.push(e);
  });
  watcher = new KillWatcher(moderation, runtime, lifecycle, bus, new FixedClock(), new Scheduler(logger), logger);
});

describe('KillWatcher', () => {
  it('stops the local instance first, then marks the installations of a change once, however often it is read', async () => {
    // The look-back reads the same change on the next look too.
    moderation.killChangesSince.mockResolvedValue([plugin(true)]);
    runtime.ids.mockReturnValueOnce(['i1']).mockReturnValue([]);
    runtime.status.mockReturnValue(instance);
    runtime.stop.mockResolvedValue(undefined);
    lifecycle.killAll.mockResolvedValue(2);

    await watcher.tick();
    await watcher.tick();

    expect(runtime.stop.mock.calls).toEqual([['i1', 'killed']]);
    expect(lifecycle.killAll.mock.calls).toEqual([['acme.x', { kind: 'system' }, 'Leaks data', []]]);
    expect(runtime.stop.mock.invocationCallOrder[0]).toBeLessThan(lifecycle.killAll.mock.invocationCallOrder[0]);
    expect(audited.map((e) => [e.action, e.details])).toEqual([
      ['plugin.kill_applied', { version: '1.0.0' }],
      ['plugin.kill_converged', { installations: 2, reason: 'Leaks data' }],
    ]);
  });

  it('leaves the installations to the node that took the kill: its own look does not mark them again', async () => {
    runtime.ids.mockReturnValue([]);
    await watcher.applyLocally(plugin(true));
    moderation.killChangesSince.mockResolvedValue([plugin(true)]);

    await watcher.tick();

    expect(lifecycle.killAll).not.toHaveBeenCalled();
    expect(audited).toEqual([]);
  });

  it('returns the installations of a revive to disabled, and tries again at the next look when that fails', async () => {
    moderation.killChangesSince.mockResolvedValue([plugin(false)]);
    lifecycle.reviveAll.mockRejectedValueOnce(new Error('connection reset')).mockResolvedValue(1);

    await watcher.tick();
    await watcher.tick();
    await watcher.tick();

    expect(lifecycle.reviveAll.mock.calls).toEqual([
      ['acme.x', { kind: 'system' }],
      ['acme.x', { kind: 'system' }],
    ]);
    expect(audited.map((e) => [e.action, e.details])).toEqual([['plugin.revive_converged', { installations: 1 }]]);
  });
});
