import { Inject, Injectable } from '@nestjs/common';
import { MEMBERSHIP_LOOKUP, type MembershipLookup } from '../auth/auth.ports.js';
import type { EventParticipant, InstallationDirectory } from '../messaging/messaging.ports.js';
import { effectiveSet } from './effective-set.js';
import type { Installation, InstallationTarget } from './installation.entity.js';
import { InstallationRuntime } from './installation-runtime.js';
import { InstallationRepository } from './persistence/installation.repository.js';
import { effectiveTargets, eventTarget } from './targets.js';

/**
 * The installation module's implementation of messaging's INSTALLATION_DIRECTORY, over the stored installations:
 * - `describe`: an installation's owner (its target) and its manifest's `events.subscribes`;
 * - `subscribers`: the active installations granted `events:subscribe` whose installed version subscribes to
 *   something (the manifest comes from the registry's stored package, cached per key@version);
 * - `messageTarget`: the installation of a plugin that serves the sender's target, chosen as the effective set
 *   does: a user's own, else one of their organisations', else the global one; an organisation's own, else the
 *   global one; the global one only for a global sender.
 */
@Injectable()
export class InstallationDirectoryAdapter implements InstallationDirectory {
  constructor(
    private readonly installations: InstallationRepository,
    private readonly runtime: InstallationRuntime,
    @Inject(MEMBERSHIP_LOOKUP) private readonly memberships: MembershipLookup,
  ) {}

  async describe(installationId: string): Promise<EventParticipant | null> {
    const installation = await this.installations.find(installationId);
    return installation ? this.participant(installation) : null;
  }

  async subscribers(): Promise<EventParticipant[]> {
    const listening = (await this.installations.listEnabled()).filter(
      (i) => i.status === 'active' && i.grants.includes('events:subscribe'),
    );
    const participants = await Promise.all(listening.map((i) => this.participant(i)));
    return participants.filter((p) => p.subscribes.length > 0);
  }

  async messageTarget(fromInstallationId: string, pluginKey: string): Promise<EventParticipant | null> {
    const from = await this.installations.find(fromInstallationId);
    if (!from) return null;
    const [entry] = effectiveSet(await this.installations.listInTargets(await this.targetsOf(from.target), pluginKey));
    return entry ? this.participant(entry.installation) : null;
  }

  private async targetsOf(target: InstallationTarget): Promise<InstallationTarget[]> {
    switch (target.scope) {
      case 'user':
        return effectiveTargets(target.userId, (await this.memberships.rolesOf(target.userId)).keys());
      case 'org':
        return [target, { scope: 'global' }];
      case 'global':
        return [target];
    }
  }

  private async participant(installation: Installation): Promise<EventParticipant> {
    const pkg = await this.runtime.package(installation.pluginKey, installation.installedVersion);
    return {
      installationId: installation.id,
      pluginKey: installation.pluginKey,
      owner: eventTarget(installation.target),
      subscribes: (pkg?.manifest.events?.subscribes ?? []).map((s) => s.type),
    };
  }
}
