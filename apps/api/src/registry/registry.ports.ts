import type { AuthUser } from '@app/common';

/**
 * INSTALLATION_LOOKUP: the registry's view of installations, and the port the installation module implements.
 *
 * The registry uses it for `is_installed`/`active`, the `installed`/`active` catalog filters,
 * `stats.installations`, the detail's installation state and the rule that a plugin with installations or
 * installed dependents cannot be unpublished. The installation module binds it (installation-lookup.adapter.ts).
 *
 * How the installation module binds it: in its own persistence module, made global, which the registry never
 * imports (the installation module imports the registry for `installables`, so the other direction would be a
 * cycle, and a forwardRef is not needed this way):
 *
 *   // installation/persistence/installation-persistence.module.ts
 *   @Global()
 *   @Module(
 *     persistenceModule({
 *       models: [[InstallationDoc, InstallationSchema]],
 *       repositories: [InstallationRepository],
 *       // provides InstallationLookupAdapter (InstallationLookup over the repository) and exports the token
 *       ports: [{ provide: INSTALLATION_LOOKUP, useExisting: InstallationLookupAdapter }],
 *     }),
 *   )
 *   export class InstallationPersistenceModule {}
 *
 * e2e tests bind a fake through test/support/installations.ts.
 */
export const INSTALLATION_LOOKUP = Symbol('INSTALLATION_LOOKUP');

/** The caller's own installation of a plugin, as the registry reports it. */
export interface InstallationState {
  installed_version: string;
  status: string;
  active: boolean;
  scope: 'user' | 'org' | 'global';
}

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
