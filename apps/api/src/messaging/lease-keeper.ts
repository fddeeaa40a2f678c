import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock, JsonLogger, type ScheduledJob, Scheduler } from '@app/common';
import { InstallationRuntime } from '../installation/installation-runtime.js';
import { RuntimeReconciler } from '../installation/runtime-reconciler.js';
import { LeasePlacement } from './lease-placement.js';
import { LeaseRepository } from './persistence/lease.repository.js';

/** Expired leases looked at per round (the rest the next round). */
const TAKE_OVER_BATCH = 200;

/** What one round did (for the logs and the tests). */
export interface LeaseRound {
  renewed: number;
  lost: string[];
  released: number;
  takenOver: number;
}

/**
 * Keeps this node's leases (when INSTALLATION_PLACEMENT is bound to LeasePlacement, i.e. with NATS_URL): every
 * third of the lease time it renews the leases of the installations it runs, stops those whose lease another node
 * took meanwhile (this node could not renew in time), gives up the leases of installations it no longer runs, and
 * takes over the installations whose node let their lease expire (RuntimeReconciler.adopt, through the placement
 * check, which records the take-over). On a clean shutdown it ends its leases, so others take over at once.
 */
@Injectable()
export class LeaseKeeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly job: ScheduledJob<LeaseRound>;
  private readonly logger: JsonLogger;

  constructor(
    private readonly leases: LeaseRepository,
    private readonly runtime: InstallationRuntime,
    private readonly reconciler: RuntimeReconciler,
    private readonly placement: LeasePlacement,
    @Inject(Clock) private readonly clock: Clock,
    scheduler: Scheduler,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('LeaseKeeper');
    this.job = scheduler.every({
      name: 'lease-keeper',
      intervalMs: Math.floor(placement.ttlMs / 3),
      // Nodes started together spread their rounds over a tenth of the interval.
      jitterMs: Math.floor(placement.ttlMs / 30),
      run: () => this.runRound(placement),
    });
  }

  onApplicationBootstrap(): void {
    if (this.placement.enabled) this.job.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.placement.enabled) return;
    await this.job.stop();
    const ended = await this.leases.expireAll(this.placement.node, this.clock.now()).catch((err: unknown) => {
      this.logger.warn('Could not end the leases at shutdown', { error: String(err) });
      return 0;
    });
    this.logger.info('Ended this node’s leases', { node: this.placement.node, leases: ended });
  }

  /** One round now (the scheduler runs them every third of the lease time; a round in progress finishes first). */
  keep(): Promise<LeaseRound | null> {
    if (!this.placement.enabled) return Promise.resolve(null);
    return this.job.run();
  }

  private async runRound(placement: LeasePlacement): Promise<LeaseRound> {
    const node = placement.node;
    const ttl = placement.ttlMs;
    const running = this.runtime.ids();
    const runningSet = new Set(running);
    const held = await this.leases.renew(running, node, this.clock.now(), ttl);
    const lost: string[] = [];
    for (const id of running) {
      if (held.has(id)) continue;
      // Not ours: never written (taken before a sweep released it) or taken by another node after it expired.
      const again = await this.leases.take(id, node, this.clock.now(), ttl);
      if (again.taken) continue;
      lost.push(id);
      await this.runtime.exclusive(id, () => this.runtime.stop(id, `its lease is held by ${again.holder}`));
      this.logger.warn('Stopped an installation another node took over', { installation_id: id, holder: again.holder });
    }

    const nowMs = this.clock.nowMs();
    const stale = (await this.leases.heldBy(node)).filter(
      (id) => !runningSet.has(id) && !placement.recentlyTaken(id, nowMs),
    );
    const released = await this.leases.release(stale, node);

    let takenOver = 0;
    const expired = await this.leases.expired(node, this.clock.now(), TAKE_OVER_BATCH);
    if (expired.length) {
      const ids = expired.map((l) => l.installationId);
      takenOver = (await this.reconciler.adopt(ids)).loaded;
      // Still expired after that: nothing wants to run them any more (uninstalled, disabled).
      await this.leases.dropExpired(ids, this.clock.now());
    }
    const round = { renewed: held.size, lost, released, takenOver };
    if (lost.length || takenOver) this.logger.info('Lease round', { ...round, lost: lost.length });
    return round;
  }
}
