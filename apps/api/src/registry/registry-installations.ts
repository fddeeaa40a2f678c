import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AuthUser } from '@app/common';
import { INSTALLATION_LOOKUP, type InstallationLookup, type InstallationState } from './registry.ports.js';

/**
 * The registry's access to INSTALLATION_LOOKUP. The port is optional: without an installation module nothing
 * can be installed, so the registry truthfully reports no installations instead of failing to boot.
 */
@Injectable()
export class RegistryInstallations implements InstallationLookup {
  constructor(@Optional() @Inject(INSTALLATION_LOOKUP) private readonly lookup?: InstallationLookup) {}

  stateFor(caller: AuthUser, key: string): Promise<InstallationState | null> {
    return this.lookup ? this.lookup.stateFor(caller, key) : Promise.resolve(null);
  }

  keysFor(caller: AuthUser): Promise<{ installed: string[]; active: string[] }> {
    return this.lookup ? this.lookup.keysFor(caller) : Promise.resolve({ installed: [], active: [] });
  }

  countInstallations(keys: string[]): Promise<Map<string, number>> {
    return this.lookup ? this.lookup.countInstallations(keys) : Promise.resolve(new Map(keys.map((k) => [k, 0])));
  }

  countInstalledDependents(key: string): Promise<number> {
    return this.lookup ? this.lookup.countInstalledDependents(key) : Promise.resolve(0);
  }
}
