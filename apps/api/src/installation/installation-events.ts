import { Inject, Injectable } from '@nestjs/common';
import { Clock, EventBus } from '@app/common';
import type { Actor, Installation, InstallationStatus } from './installation.entity.js';
import { eventSubject } from './targets.js';

/**
 * Emits the installation module's events: `installation.changed` for every status change, and the system events
 * of issue 14 (`plugin.installed`, `.activated`, `.disabled`, `.updated`, `.uninstalled`). Awaited, so a handler
 * (audit, messaging) has seen the change before the request answers.
 */
@Injectable()
export class InstallationEvents {
  constructor(
    private readonly bus: EventBus,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async changed(
    installation: Installation,
    from: InstallationStatus | null,
    to: InstallationStatus | 'uninstalled',
    actor: Actor,
    reason: string | null = null,
  ): Promise<void> {
    await this.bus.emit('installation.changed', {
      ...eventSubject(installation),
      version: installation.installedVersion,
      from,
      to,
      grants: installation.grants.map((g) => (typeof g === 'string' ? g : g.capability)),
      actor,
      reason,
      at: this.clock.now(),
    });
  }

  async lifecycle(
    event: 'plugin.installed' | 'plugin.activated' | 'plugin.disabled' | 'plugin.uninstalled',
    installation: Installation,
    actor: Actor,
    reason: string | null = null,
  ): Promise<void> {
    await this.bus.emit(event, {
      ...eventSubject(installation),
      version: installation.installedVersion,
      actor,
      reason,
      at: this.clock.now(),
    });
  }

  async updated(
    installation: Installation,
    fromVersion: string,
    actor: Actor,
    reason: string | null,
    rolledBack = false,
    toVersion = installation.installedVersion,
  ): Promise<void> {
    await this.bus.emit('plugin.updated', {
      ...eventSubject(installation),
      fromVersion,
      toVersion,
      actor,
      reason,
      rolledBack,
      at: this.clock.now(),
    });
  }

  /** A status change and the system event it amounts to (started → activated; stopped or failed → disabled). */
  async statusChanged(
    installation: Installation,
    from: InstallationStatus | null,
    actor: Actor,
    reason: string | null = null,
  ): Promise<void> {
    const to = installation.status;
    if (from === to && to !== 'active') return;
    await this.changed(installation, from, to, actor, reason);
    if (to === 'active') await this.lifecycle('plugin.activated', installation, actor, reason);
    else if (from === 'active' || (from !== null && to === 'failed')) {
      await this.lifecycle('plugin.disabled', installation, actor, reason);
    }
  }
}
