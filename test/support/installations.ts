import { Global, Module } from '@nestjs/common';
import type { AuthUser } from '@app/common';
import {
  INSTALLATION_LOOKUP,
  type InstallationLookup,
  type InstallationState,
} from '../../apps/api/src/registry/registry.ports.js';

/**
 * A stand-in for the installation module's INSTALLATION_LOOKUP, for registry e2e tests written before that module
 * exists: it reports what a test tells it. Bound the way the installation module will bind the real one (a global
 * module), so the registry code under test is exactly the production code.
 */
export class FakeInstallations implements InstallationLookup {
  installed: string[] = [];
  active: string[] = [];
  counts = new Map<string, number>();
  dependents = new Map<string, number>();
  states = new Map<string, InstallationState>();

  reset(): void {
    this.installed = [];
    this.active = [];
    this.counts.clear();
    this.dependents.clear();
    this.states.clear();
  }

  stateFor(_caller: AuthUser, key: string): Promise<InstallationState | null> {
    return Promise.resolve(this.states.get(key) ?? null);
  }

  keysFor(): Promise<{ installed: string[]; active: string[] }> {
    return Promise.resolve({ installed: [...this.installed], active: [...this.active] });
  }

  countInstallations(keys: string[]): Promise<Map<string, number>> {
    return Promise.resolve(new Map(keys.map((k) => [k, this.counts.get(k) ?? 0])));
  }

  countInstalledDependents(key: string): Promise<number> {
    return Promise.resolve(this.dependents.get(key) ?? 0);
  }
}

/** A global module binding INSTALLATION_LOOKUP to `fake`. */
export function installationsModule(fake: FakeInstallations) {
  @Global()
  @Module({ providers: [{ provide: INSTALLATION_LOOKUP, useValue: fake }], exports: [INSTALLATION_LOOKUP] })
  class FakeInstallationsModule {}
  return FakeInstallationsModule;
}
