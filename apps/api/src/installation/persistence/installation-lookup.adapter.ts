import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@app/common';
import { AccessService } from '../../auth/access.service.js';
import type { InstallationLookup, InstallationState } from '../../registry/registry.ports.js';
import { effectiveSet } from '../effective-set.js';
import type { Installation } from '../installation.entity.js';
import { effectiveTargets } from '../targets.js';
import { InstallationRepository } from './installation.repository.js';

/**
 * The installation module's implementation of the registry's INSTALLATION_LOOKUP: what the catalog shows as
 * installed and active is the caller's effective set (their own, their organisations' and the global
 * installations, an organisation's or the instance's disable overriding a more specific one), and the counts are
 * exact counts of stored installations.
 */
@Injectable()
export class InstallationLookupAdapter implements InstallationLookup {
  constructor(
    private readonly installations: InstallationRepository,
    private readonly access: AccessService,
  ) {}

  async stateFor(caller: AuthUser, key: string): Promise<InstallationState | null> {
    const [entry] = effectiveSet(await this.visible(caller, key));
    if (!entry) return null;
    return {
      installed_version: entry.installation.installedVersion,
      status: entry.installation.status,
      active: entry.active,
      scope: entry.installation.target.scope,
    };
  }

  async keysFor(caller: AuthUser): Promise<{ installed: string[]; active: string[] }> {
    const entries = effectiveSet(await this.visible(caller));
    return {
      installed: entries.map((e) => e.installation.pluginKey),
      active: entries.filter((e) => e.active).map((e) => e.installation.pluginKey),
    };
  }

  countInstallations(keys: string[]): Promise<Map<string, number>> {
    return this.installations.countByKeys(keys);
  }

  async countInstalledDependents(key: string): Promise<number> {
    return (await this.installations.dependentsOf(key)).length;
  }

  private async visible(caller: AuthUser, key?: string): Promise<Installation[]> {
    const viewer = await this.access.viewer(caller);
    return this.installations.listInTargets(effectiveTargets(caller.id, viewer.orgRoles.keys()), key);
  }
}
