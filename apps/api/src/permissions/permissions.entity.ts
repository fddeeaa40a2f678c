import type { Permission, RiskLevel } from '@app/plugin-sdk';
import type { Actor, EventTarget, InstallationLimits } from '../installation/installation.entity.js';

/** The resource limits an installation can be granted, in the order answers list them. */
export const LIMIT_KEYS = ['memory_mb', 'timeout_ms', 'max_pending', 'storage_quota_bytes'] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];

/** An installation's grants, security level or limits changed (PUT …/permissions/). */
export interface PermissionsChangedEvent {
  installationId: string;
  pluginKey: string;
  target: EventTarget;
  actor: Actor;
  /** Everything granted after the change. */
  grants: Permission[];
  /** What the change granted and revoked (capabilities by name). */
  granted: string[];
  revoked: string[];
  securityLevel: RiskLevel | null;
  /** The limits granted after the change (null: the platform defaults). */
  limits: InstallationLimits | null;
  /** Whether the running instance got the change at once. */
  applied: boolean;
  at: Date;
}

declare module '@app/common' {
  interface PlughubEvents {
    /** An installation's capability grants, security level or resource limits changed. */
    'permissions.changed': PermissionsChangedEvent;
  }
}
