import { type AuditActionEvent, EventBus, JsonLogger, LogOutput, Scheduler } from '@app/common';
import { TestClock } from '@test/support/clock.js';
import { strictMock } from '@test/support/strict-mock.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MessagingConfig } from '../config/app-config.js';
import type { Installation } from '../installation/installation.entity.js';
import { InstallationRuntime } from '../installation/installation-runtime.js';
import { RuntimeReconciler } from '../installation/runtime-reconciler.js';
import { LeaseKeeper } from './lease-keeper.js';
import { LeasePlacement } from './lease-placement.js';
import { LeaseRepository } from './persistence/lease.repository.js';

const config = (natsUrl: string | null): MessagingConfig => ({
  natsUrl,
  nodeName: 'node-a',
  eventMaxAttempts: 3,
  eventRetryBaseMs: 1000,
  eventRetentionDays: 30,
  sseKeepAliveMs: 15_000,
  maxStreamsPerUser: 16,
  leaseTtlMs: 9000,
});

const installation = (id: string, orgId?: string) =>
  ({
    id,
    pluginKey: `acme.${id}`,
    target: orgId ? { scope: 'org', orgId } : { scope: 'user', userId: 'u1' },
  }) as Installation;

let leases: ReturnType<typeof strictMock<LeaseRepository>>;
let runtime: ReturnType<typeof strictMock<InstallationRuntime>>;
let reconciler: ReturnType<typeof strictMock<RuntimeReconciler>>;
let clock: TestClock;
let audits: AuditActionEvent[];
let placement: LeasePlacement;
let keeper: LeaseKeeper;

function build(natsUrl: string | null = 'nats://127.0.0.1:4222') {
  const logger = new JsonLogger(new LogOutput('silent', () => undefined));
  const bus = new EventBus(logger);
  bus.on('audit.action', (e) => void audits.push(e));
  placement = new LeasePlacement(leases, bus, config(natsUrl), clock, logger);
  keeper = new LeaseKeeper(leases, runtime, reconciler, placement, clock, new Scheduler(logger), logger);
}

beforeEach(() => {
  leases = strictMock(LeaseRepository);
  runtime = strictMock(InstallationRuntime);
  reconciler = strictMock(RuntimeReconciler);
  clock = new TestClock();
  audits = [];
  build();
  runtime.exclusive.mockImplementation((_id: string, task: () => Promise<unknown>) => task());
});

describe('LeasePlacement', () => {
  it('hosts what it takes the lease of, and not what another node holds live', async () => {
    leases.take.mockResolvedValueOnce({ taken: true, from: null });
    expect(await placement.hosts(installation('i1'))).toBe(true);
    expect(leases.take).toHaveBeenCalledWith('i1', 'node-a', expect.any(Date), 9000);
    leases.take.mockResolvedValueOnce({ taken: false, holder: 'node-b' });
    expect(await placement.hosts(installation('i2'))).toBe(false);
    expect(audits).toEqual([]);
    expect(placement.recentlyTaken('i1', clock.nowMs())).toBe(true);
    expect(placement.recentlyTaken('i2', clock.nowMs())).toBe(false);
    expect(placement.recentlyTaken('i1', clock.nowMs() + 9000)).toBe(false);
  });

  it('records a take-over of an expired lease as an audit action of the system, with the org', async () => {
    leases.take.mockResolvedValueOnce({ taken: true, from: 'node-b' });
    expect(await placement.hosts(installation('i3', 'o1'))).toBe(true);
    expect(audits).toEqual([
      expect.objectContaining({
        actor: { kind: 'system', component: 'messaging.leases' },
        action: 'installation.lease_taken_over',
        target: { type: 'installation', id: 'i3', key: 'acme.i3' },
        orgId: 'o1',
        outcome: 'success',
        before: { node: 'node-b' },
        after: { node: 'node-a' },
      }),
    ]);
  });

  it('is off without NATS_URL', () => {
    build(null);
    expect(placement.enabled).toBe(false);
  });
});

describe('LeaseKeeper', () => {
  it('renews what runs here, gives up what no longer runs, and takes over expired leases', async () => {
    runtime.ids.mockReturnValue(['i1', 'i2']);
    leases.renew.mockResolvedValue(new Set(['i1', 'i2']));
    leases.heldBy.mockResolvedValue(['i1', 'i2', 'old']);
    leases.release.mockResolvedValue(1);
    leases.expired.mockResolvedValue([{ installationId: 'b1', node: 'node-b', expiresAt: new Date(0) }]);
    reconciler.adopt.mockResolvedValue({ loaded: 1, stopped: 0, failed: 0, collected: [] });
    leases.dropExpired.mockResolvedValue(0);
    expect(await keeper.keep()).toEqual({ renewed: 2, lost: [], released: 1, takenOver: 1 });
    expect(leases.renew).toHaveBeenCalledWith(['i1', 'i2'], 'node-a', expect.any(Date), 9000);
    expect(leases.release).toHaveBeenCalledWith(['old'], 'node-a');
    expect(reconciler.adopt).toHaveBeenCalledWith(['b1']);
    expect(leases.dropExpired).toHaveBeenCalledWith(['b1'], expect.any(Date));
  });

  it('stops an installation whose lease another node took, and keeps one whose lease was only missing', async () => {
    runtime.ids.mockReturnValue(['i1', 'gone', 'missing']);
    leases.renew.mockResolvedValue(new Set(['i1']));
    leases.take.mockImplementation((id: string) =>
      Promise.resolve(id === 'gone' ? { taken: false, holder: 'node-b' } : { taken: true, from: null }),
    );
    runtime.stop.mockResolvedValue(undefined);
    leases.heldBy.mockResolvedValue(['i1', 'missing']);
    leases.release.mockResolvedValue(0);
    leases.expired.mockResolvedValue([]);
    expect(await keeper.keep()).toEqual({ renewed: 1, lost: ['gone'], released: 0, takenOver: 0 });
    expect(runtime.stop).toHaveBeenCalledTimes(1);
    expect(runtime.stop).toHaveBeenCalledWith('gone', expect.any(String));
    expect(leases.release).toHaveBeenCalledWith([], 'node-a');
  });

  it('leaves alone a lease it just took for a load still on its way', async () => {
    leases.take.mockResolvedValueOnce({ taken: true, from: null });
    await placement.hosts(installation('loading'));
    runtime.ids.mockReturnValue([]);
    leases.renew.mockResolvedValue(new Set());
    leases.heldBy.mockResolvedValue(['loading']);
    leases.release.mockResolvedValue(0);
    leases.expired.mockResolvedValue([]);
    await keeper.keep();
    expect(leases.release).toHaveBeenCalledWith([], 'node-a');
    clock.advance(9000);
    await keeper.keep();
    expect(leases.release).toHaveBeenLastCalledWith(['loading'], 'node-a');
  });

  it('ends its leases at shutdown so other nodes take over at once, and does nothing without NATS', async () => {
    leases.expireAll.mockResolvedValue(2);
    await keeper.beforeApplicationShutdown();
    expect(leases.expireAll).toHaveBeenCalledWith('node-a', expect.any(Date));
    build(null);
    expect(await keeper.keep()).toBeNull();
    await keeper.beforeApplicationShutdown();
    expect(leases.expireAll).toHaveBeenCalledTimes(1);
  });
});
