import type { Permission } from '@app/plugin-sdk';
import { Types } from 'mongoose';
import type {
  Actor,
  Installation,
  InstallationBackup,
  InstallationTarget,
  NewInstallation,
  Operation,
  OperationStep,
  RetainedSettings,
} from '../installation.entity.js';
import type { InstallationDoc, RetainedSettingsDoc } from './installation.schema.js';
import type { OperationDoc } from './operation.schema.js';

export type InstallationLean = InstallationDoc;
export type RetainedLean = RetainedSettingsDoc;
export type OperationLean = OperationDoc;

/** The stored form of a target: scope, the user's or organisation's id, and the one-string key. */
export function targetFields(target: InstallationTarget): {
  scope: InstallationTarget['scope'];
  target_id: string | null;
  target_key: string;
} {
  switch (target.scope) {
    case 'user':
      return { scope: 'user', target_id: target.userId, target_key: `user:${target.userId}` };
    case 'org':
      return { scope: 'org', target_id: target.orgId, target_key: `org:${target.orgId}` };
    case 'global':
      return { scope: 'global', target_id: null, target_key: 'global' };
  }
}

export function targetOf(d: { scope: InstallationTarget['scope']; target_id: string | null }): InstallationTarget {
  if (d.scope === 'user') return { scope: 'user', userId: String(d.target_id) };
  if (d.scope === 'org') return { scope: 'org', orgId: String(d.target_id) };
  return { scope: 'global' };
}

const toBackup = (b: Record<string, unknown>): InstallationBackup => ({
  id: String(b.id),
  version: String(b.version),
  config: (b.config ?? {}) as Record<string, unknown>,
  secrets: (b.secrets ?? {}) as Record<string, string>,
  grants: (b.grants ?? []) as Permission[],
  source: b.source as InstallationBackup['source'],
  createdAt: new Date(b.created_at as Date),
});

const fromBackup = (b: InstallationBackup): Record<string, unknown> => ({
  id: b.id,
  version: b.version,
  config: b.config,
  secrets: b.secrets,
  grants: b.grants,
  source: b.source,
  created_at: b.createdAt,
});

export const toInstallation = (d: InstallationLean): Installation => ({
  id: String(d._id),
  pluginKey: d.plugin_key,
  target: targetOf(d),
  installedVersion: d.installed_version,
  status: d.status,
  enabled: d.enabled,
  statusReason: d.status_reason ?? null,
  source: d.source,
  config: d.config ?? {},
  secrets: d.secrets ?? {},
  grants: (d.grants ?? []) as Permission[],
  pendingGrants: (d.pending_grants ?? []) as Permission[],
  limits: d.limits ?? null,
  securityLevel: d.security_level ?? null,
  metadata: d.metadata ?? {},
  requested: (d.requested ?? []) as Permission[],
  dependencies: Object.fromEntries((d.dependencies ?? []).map((x) => [x.key, x.range])),
  usage: {
    executionCount: d.execution_count ?? 0,
    totalExecutionTimeMs: d.total_execution_time_ms ?? 0,
    // Derived, so concurrent $inc of the count and the total never leave it stale.
    avgExecutionTimeMs: d.execution_count ? (d.total_execution_time_ms ?? 0) / d.execution_count : 0,
    errorCount: d.error_count ?? 0,
    lastError: d.last_error ? { message: d.last_error.message, at: d.last_error.at } : null,
    lastUsed: d.last_used ?? null,
  },
  autoUpdate: d.auto_update ?? false,
  updateAvailable: d.update_available ?? false,
  availableVersion: d.available_version ?? null,
  backups: (d.backups ?? []).map(toBackup),
  installedBy: d.installed_by ?? null,
  installedAt: d.installed_at,
  updatedAt: d.updated_at ?? d.installed_at,
  operationId: d.operation_id ?? null,
});

/** The whole stored document of an installation (insert, replace, and the journal's snapshots). */
export function installationDoc(i: NewInstallation | Installation): Omit<InstallationDoc, 'updated_at'> {
  const usage = 'usage' in i ? i.usage : null;
  return {
    _id: new Types.ObjectId(i.id),
    plugin_key: i.pluginKey,
    ...targetFields(i.target),
    installed_version: i.installedVersion,
    status: i.status,
    enabled: i.enabled,
    status_reason: i.statusReason,
    source: i.source,
    config: i.config,
    secrets: i.secrets,
    grants: i.grants,
    pending_grants: i.pendingGrants,
    limits: (i.limits ?? null) as Record<string, number> | null,
    security_level: i.securityLevel,
    metadata: i.metadata ?? {},
    requested: i.requested,
    dependencies: Object.entries(i.dependencies).map(([key, range]) => ({ key, range })),
    execution_count: usage?.executionCount ?? 0,
    total_execution_time_ms: usage?.totalExecutionTimeMs ?? 0,
    error_count: usage?.errorCount ?? 0,
    last_error: usage?.lastError ?? null,
    last_used: usage?.lastUsed ?? null,
    auto_update: i.autoUpdate,
    update_available: i.updateAvailable ?? false,
    available_version: i.availableVersion,
    backups: (i.backups ?? []).map(fromBackup),
    installed_by: i.installedBy,
    installed_at: i.installedAt,
    operation_id: i.operationId,
  };
}

export const toRetained = (d: RetainedLean): RetainedSettings => {
  const [scope, id] = d.target_key.split(':') as ['user' | 'org' | 'global', string | undefined];
  return {
    pluginKey: d.plugin_key,
    target: targetOf({ scope, target_id: id ?? null }),
    installationId: String(d._id),
    config: d.config ?? {},
    secrets: d.secrets ?? {},
    retainedAt: d.retained_at,
  };
};

/** A journal step as stored: the snapshot is the installation's whole document, restored as it is. */
function stepDoc(step: OperationStep): Record<string, unknown> {
  return {
    plugin_key: step.pluginKey,
    installation_id: step.installationId,
    action: step.action,
    before: step.before ? installationDoc(step.before) : null,
    reused_retained: step.reusedRetained,
    delete_config: step.deleteConfig ?? null,
  };
}

function toStep(d: Record<string, unknown>): OperationStep {
  const before = d.before as InstallationLean | null;
  return {
    pluginKey: String(d.plugin_key),
    installationId: String(d.installation_id),
    action: d.action as OperationStep['action'],
    before: before ? toInstallation(before) : null,
    reusedRetained: d.reused_retained === true,
    deleteConfig: typeof d.delete_config === 'boolean' ? d.delete_config : undefined,
  };
}

export function operationDoc(op: Operation): OperationDoc {
  return {
    _id: new Types.ObjectId(op.id),
    kind: op.kind,
    lock: op.lock,
    actor: op.actor,
    phase: op.phase,
    steps: op.steps.map(stepDoc),
    created_at: op.createdAt,
  };
}

export const toOperation = (d: OperationLean): Operation => ({
  id: String(d._id),
  kind: d.kind,
  lock: d.lock,
  actor: d.actor as unknown as Actor,
  phase: d.phase,
  steps: (d.steps ?? []).map(toStep),
  createdAt: d.created_at,
});
