import type { AuthUser } from '@app/common';
import type { InstallationLookup, InstallationState } from '../../apps/api/src/registry/registry.ports.js';

/**
 * INSTALLATION_LOOKUP reporting what a test tells it, for the registry's own rules (its service harness and its
 * e2e test, which overrides the installation module's binding with it). The real binding is tested end to end in
 * installation.e2e-spec.ts.
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
