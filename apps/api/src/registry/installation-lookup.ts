import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@app/common';

/** Injection token of the registry's view of installations. */
export const INSTALLATION_LOOKUP = Symbol('INSTALLATION_LOOKUP');

/** The caller's own installation of a plugin, as the registry reports it. */
export interface InstallationState {
  installed_version: string;
  status: string;
  active: boolean;
  scope: 'user' | 'org' | 'global';
}

/**
 * What the registry needs to know about installations, and nothing more: the port the installation module
 * implements. The registry uses it for `is_installed`/`active`, the `installed`/`active` catalog filters,
 * `stats.installations`, the detail's installation state and the rule that a plugin with installations or
 * installed dependents cannot be unpublished.
 */
export interface InstallationLookup {
  /** The caller's installation of `key` (their own, else their orgs', else the global one), or null. */
  stateFor(caller: AuthUser, key: string): Promise<InstallationState | null>;
  /** Keys of the plugins installed for the caller, and of those among them that are active. */
  keysFor(caller: AuthUser): Promise<{ installed: string[]; active: string[] }>;
  /** Number of installations per plugin key, over every target. */
  countInstallations(keys: string[]): Promise<Map<string, number>>;
  /** Number of installations of other plugins that depend on `key`. */
  countInstalledDependents(key: string): Promise<number>;
}

/**
 * The default implementation, and the seam the installation module replaces (by providing
 * INSTALLATION_LOOKUP itself). Until that module exists nothing can be installed, so it truthfully reports
 * no installations at all.
 */
@Injectable()
export class NoInstallationsLookup implements InstallationLookup {
  stateFor(): Promise<InstallationState | null> {
    return Promise.resolve(null);
  }

  keysFor(): Promise<{ installed: string[]; active: string[] }> {
    return Promise.resolve({ installed: [], active: [] });
  }

  countInstallations(keys: string[]): Promise<Map<string, number>> {
    return Promise.resolve(new Map(keys.map((k) => [k, 0])));
  }

  countInstalledDependents(): Promise<number> {
    return Promise.resolve(0);
  }
}
