/**
 * The installation module's entities, enums and events. Schemas, DTOs, services and repositories import them from
 * here, never from each other.
 */
import type { Permission, PluginLimits, RiskLevel } from '@app/plugin-sdk';
import type { TargetScope } from '../auth/auth.entity.js';

export type { Permission, RiskLevel, TargetScope };

/** The resource limits granted to an installation (permissions module): the manifest's kinds and a storage quota. */
export interface InstallationLimits extends PluginLimits {
  /** Bytes its plugin storage may hold. */
  storage_quota_bytes?: number;
}

export const INSTALLATION_STATUSES = ['installing', 'active', 'disabled', 'failed', 'killed', 'uninstalling'] as const;
/**
 * - `installing`: an operation is writing it (install with dependencies, update); never left behind by a crash.
 * - `active`: wanted on and running. `failed`: wanted on, but it did not start or the runtime gave up on it.
 * - `disabled`: switched off. `killed`: switched off everywhere by an administrator (the kill switch).
 * - `uninstalling`: being removed.
 */
export type InstallationStatus = (typeof INSTALLATION_STATUSES)[number];

export const INSTALLATION_SOURCES = ['store', 'upload', 'url', 'builtin'] as const;
export type InstallationSource = (typeof INSTALLATION_SOURCES)[number];

/** Where an installation lives: a user's own, an organisation's, or the instance's (global). */
export type InstallationTarget =
  { scope: 'user'; userId: string } | { scope: 'org'; orgId: string } | { scope: 'global' };

/** Usage counters (NetPad's PluginInstallation fields): created zeroed, filled by the metrics module. */
export interface InstallationUsage {
  executionCount: number;
  totalExecutionTimeMs: number;
  avgExecutionTimeMs: number;
  errorCount: number;
  lastError: { message: string; at: Date } | null;
  lastUsed: Date | null;
}

/** The counters of a new installation. */
export const zeroUsage = (): InstallationUsage => ({
  executionCount: 0,
  totalExecutionTimeMs: 0,
  avgExecutionTimeMs: 0,
  errorCount: 0,
  lastError: null,
  lastUsed: null,
});

/** How many backups an installation keeps (the newest first; an update beyond it drops the oldest). */
export const MAX_BACKUPS = 5;

/** A previous version of an installation, kept by an update so it can be rolled back to. */
export interface InstallationBackup {
  id: string;
  version: string;
  config: Record<string, unknown>;
  /** Sealed secret values (SecretBox), as the installation held them. */
  secrets: Record<string, string>;
  grants: Permission[];
  source: InstallationSource;
  createdAt: Date;
}

export interface Installation {
  id: string;
  pluginKey: string;
  target: InstallationTarget;
  installedVersion: string;
  status: InstallationStatus;
  /** Desired state: the installation should run. True for `active` and `failed`, false for the others. */
  enabled: boolean;
  /** Why it is in its status: the disable reason, the start-up failure, the kill reason; null when none. */
  statusReason: string | null;
  source: InstallationSource;
  /** Non-secret setting values (defaults filled in). */
  config: Record<string, unknown>;
  /** Secret setting values, sealed by the SecretBox for `<installation id>/<setting key>`; never in clear. */
  secrets: Record<string, string>;
  /** Granted capabilities (a subset of what the installed version requests). */
  grants: Permission[];
  /** Capabilities a newer version requests that nobody granted yet (an update leaves them ungranted). */
  pendingGrants: Permission[];
  /** Resource limits granted to it (permissions module); null: the platform defaults. */
  limits: InstallationLimits | null;
  /** The riskiest capability it may be granted (permissions module); null: no ceiling. */
  securityLevel: RiskLevel | null;
  /** Free-form JSON kept for clients (InvenTree's metadata; configuration module), never read by the platform. */
  metadata: Record<string, unknown>;
  /** What the installed version requests and depends on (from its manifest), for resolution and dependents. */
  requested: Permission[];
  dependencies: Record<string, string>;
  usage: InstallationUsage;
  autoUpdate: boolean;
  updateAvailable: boolean;
  availableVersion: string | null;
  backups: InstallationBackup[];
  installedBy: string | null;
  installedAt: Date;
  updatedAt: Date;
  /** The journal operation writing it right now, or null. */
  operationId: string | null;
}

/** What the permissions module writes on an installation, all at once. */
export type PermissionsChange = Pick<Installation, 'grants' | 'pendingGrants' | 'limits' | 'securityLevel'>;

/** A new installation's document, as an operation writes it. */
export type NewInstallation = Omit<Installation, 'updatedAt' | 'usage' | 'backups' | 'updateAvailable' | 'metadata'> & {
  updateAvailable?: boolean;
  backups?: InstallationBackup[];
  metadata?: Record<string, unknown>;
};

/** Settings and storage kept by an uninstall with `delete_config: false`, picked up by the next install there. */
export interface RetainedSettings {
  pluginKey: string;
  target: InstallationTarget;
  /** The uninstalled installation's id: its plugin storage is keyed by it, so a reinstall takes the id back. */
  installationId: string;
  config: Record<string, unknown>;
  secrets: Record<string, string>;
  retainedAt: Date;
}

export const INSTALLATION_ORDERINGS = ['installed_at', '-installed_at', 'plugin', '-plugin'] as const;
export type InstallationOrdering = (typeof INSTALLATION_ORDERINGS)[number];

export interface InstallationFilter {
  /** Only installations in these targets (the caller's visible ones); undefined: every target (admins). */
  targets?: InstallationTarget[];
  pluginKey?: string;
  scope?: TargetScope;
  orgId?: string;
  userId?: string;
  status?: InstallationStatus;
  updateAvailable?: boolean;
}

/** Every installation counted by status, with their usage stats summed (GET /api/metrics/summary/). */
export interface InstallationSummary {
  byStatus: Record<InstallationStatus, number>;
  executionCount: number;
  errorCount: number;
  totalExecutionTimeMs: number;
}

/** Who did something: a user, or the platform itself (boot reload, auto-update, recovery). */
export type Actor = { kind: 'user'; id: string } | { kind: 'system' };

// ---- the operation journal -------------------------------------------------------------------------------------

export const OPERATION_KINDS = ['install', 'uninstall', 'update'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/**
 * How far an operation got: `prepared` (journaled; its documents may be written, its plugins started) or `done`
 * (committed). `applied` is no longer written (a journal from an earlier version may hold it); recovery treats
 * anything but `done` as not done.
 */
export type OperationPhase = 'prepared' | 'applied' | 'done';

/** One installation an operation creates, replaces or removes, with what is needed to undo or finish it. */
export interface OperationStep {
  pluginKey: string;
  installationId: string;
  action: 'create' | 'replace' | 'remove';
  /** The installation before the operation (replace, remove), to restore on rollback. */
  before: Installation | null;
  /** The installation id came from retained settings (its storage is the retained one: never cleared on undo). */
  reusedRetained: boolean;
  /** remove: drop settings and storage (else they are retained). */
  deleteConfig?: boolean;
}

export interface Operation {
  id: string;
  kind: OperationKind;
  /** One operation per target at a time: `user:<id>`, `org:<id>` or `global`. */
  lock: string;
  actor: Actor;
  phase: OperationPhase;
  steps: OperationStep[];
  createdAt: Date;
}

// ---- idempotency -------------------------------------------------------------------------------------------------

export interface IdempotentAnswer {
  status: number;
  body: unknown;
}

// ---- events ------------------------------------------------------------------------------------------------------

/** The target as events carry it: plain ids. */
export interface EventTarget {
  scope: TargetScope;
  userId: string | null;
  orgId: string | null;
}

export interface InstallationChangedEvent {
  installationId: string;
  pluginKey: string;
  target: EventTarget;
  version: string;
  /** The status before the change; null when the installation was just created. */
  from: InstallationStatus | null;
  /** The status after it; `uninstalled` when it is gone. */
  to: InstallationStatus | 'uninstalled';
  /** The capabilities granted to it after the change (names only; the installation module always sets them). */
  grants?: string[];
  actor: Actor;
  reason: string | null;
  at: Date;
}

/** The system events of issue 14 (`plugin.installed`, `.activated`, `.disabled`, `.uninstalled`). */
export interface PluginLifecycleEvent {
  installationId: string;
  pluginKey: string;
  version: string;
  target: EventTarget;
  actor: Actor;
  reason: string | null;
  at: Date;
}

export interface PluginUpdatedEvent extends Omit<PluginLifecycleEvent, 'version'> {
  fromVersion: string;
  toVersion: string;
  /** True when the update failed to start and the previous version was restored. */
  rolledBack: boolean;
}

declare module '@app/common' {
  interface PlughubEvents {
    /** An installation changed status (created, activated, disabled, failed, killed, removed, …). */
    'installation.changed': InstallationChangedEvent;
    /** A plugin was installed into a target (each plugin of an install with dependencies). */
    'plugin.installed': PluginLifecycleEvent;
    /** An installation started running (activation, enable, restart). */
    'plugin.activated': PluginLifecycleEvent;
    /** An installation was switched off (disable, deactivation, or failing to start). */
    'plugin.disabled': PluginLifecycleEvent;
    /** An installation moved to another version (update, rollback, or a dependency raised by an install). */
    'plugin.updated': PluginUpdatedEvent;
    /** An installation was removed. */
    'plugin.uninstalled': PluginLifecycleEvent;
  }
}
