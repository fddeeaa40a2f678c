import { Inject, Injectable } from '@nestjs/common';
import { Clock, EventBus, JsonLogger } from '@app/common';
import type { MessagingConfig } from '../config/app-config.js';
import { MESSAGING_CONFIG } from '../config/config.module.js';
import type { Installation } from '../installation/installation.entity.js';
import type { InstallationPlacement } from '../installation/installation.ports.js';
import { LeaseRepository } from './persistence/lease.repository.js';

const COMPONENT = 'messaging.leases';

/**
 * INSTALLATION_PLACEMENT with leases (bound when NATS_URL is set: several nodes on one database). Before this node
 * loads an installation (boot, reload, activation, a take-over), it takes the installation's lease: free, its own
 * or expired → it hosts it; another node's live lease → it does not. Taking an expired lease of another node is a
 * take-over, recorded as an `audit.action` with actor `system`. LeaseKeeper renews what this node runs.
 */
@Injectable()
export class LeasePlacement implements InstallationPlacement {
  /** Installations whose lease this node took, and when (ms), not yet renewed as running: a sweep leaves them. */
  private readonly taking = new Map<string, number>();
  private readonly logger: JsonLogger;

  constructor(
    private readonly leases: LeaseRepository,
    private readonly events: EventBus,
    @Inject(MESSAGING_CONFIG) private readonly config: MessagingConfig,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('LeasePlacement');
  }

  /** Leases are on when several nodes may share the database: with NATS_URL. */
  get enabled(): boolean {
    return this.config.natsUrl !== null;
  }

  /** This node's name, which its leases carry. */
  get node(): string {
    return this.config.nodeName;
  }

  get ttlMs(): number {
    return this.config.leaseTtlMs;
  }

  async hosts(installation: Installation): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.leases.take(installation.id, this.node, now, this.ttlMs);
    if (!result.taken) return false;
    this.taking.set(installation.id, now.getTime());
    if (result.from !== null) await this.tookOver(installation, result.from, now);
    return true;
  }

  /** Whether this node took the lease of `installationId` less than a lease ago (its load may still be on). */
  recentlyTaken(installationId: string, nowMs: number): boolean {
    const since = this.taking.get(installationId);
    if (since === undefined) return false;
    if (nowMs - since < this.ttlMs) return true;
    this.taking.delete(installationId);
    return false;
  }

  private async tookOver(installation: Installation, from: string, at: Date): Promise<void> {
    this.logger.warn('Took over an installation whose node let its lease expire', {
      installation_id: installation.id,
      plugin: installation.pluginKey,
      from,
      to: this.node,
    });
    await this.events.emit('audit.action', {
      actor: { kind: 'system', component: COMPONENT },
      action: 'installation.lease_taken_over',
      target: { type: 'installation', id: installation.id, key: installation.pluginKey },
      ...(installation.target.scope === 'org' ? { orgId: installation.target.orgId } : {}),
      outcome: 'success',
      before: { node: from },
      after: { node: this.node },
      details: { lease_ttl_ms: this.ttlMs },
      at,
    });
  }
}
