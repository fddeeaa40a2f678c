import type { Installation } from './installation.entity.js';

/**
 * INSTALLATION_PLACEMENT: which installations this node runs. Optional: without a binding every node runs every
 * installation whose desired state is on (one node, the default). The messaging module binds it when several API
 * nodes share one database (leases decide which node hosts an installation). Every load goes through
 * RuntimeReconciler (boot, reload) or InstallationRuntime.start (activation), so this is the one check to add.
 *
 *   @Global() @Module({ providers: [LeasePlacement, { provide: INSTALLATION_PLACEMENT, useExisting: LeasePlacement }],
 *                       exports: [INSTALLATION_PLACEMENT] })
 */
export const INSTALLATION_PLACEMENT = Symbol('INSTALLATION_PLACEMENT');

export interface InstallationPlacement {
  /** Whether this node should run `installation` (called before each load by boot, reload and activation). */
  hosts(installation: Installation): Promise<boolean>;
}

/** The platform's version (package.json), which `engines.plughub` ranges are matched against. */
export const PLATFORM_VERSION = Symbol('PLATFORM_VERSION');
