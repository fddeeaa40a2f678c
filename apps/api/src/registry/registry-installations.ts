import { Inject, Injectable } from '@nestjs/common';
import type { AuthUser } from '@app/common';
import { INSTALLATION_LOOKUP, type InstallationLookup, type InstallationState } from './registry.ports.js';

/** The registry's access to INSTALLATION_LOOKUP, which the installation module binds (registry.ports.ts). */
@Injectable()
export class RegistryInstallations implements InstallationLookup {
  constructor(@Inject(INSTALLATION_LOOKUP) private readonly lookup: InstallationLookup) {}

  stateFor(caller: AuthUser, key: string): Promise<InstallationState | null> {
    return this.lookup.stateFor(caller, key);
  }

  keysFor(caller: AuthUser): Promise<{ installed: string[]; active: string[] }> {
    return this.lookup.keysFor(caller);
  }

  countInstallations(keys: string[]): Promise<Map<string, number>> {
    return this.lookup.countInstallations(keys);
  }

  countInstalledDependents(key: string): Promise<number> {
    return this.lookup.countInstalledDependents(key);
  }
}
