import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, EventBus, type PageWindow, type Slice } from '@app/common';
import semver from 'semver';
import { PluginVersionsService } from '../registry/plugin-versions.service.js';
import type { PlanStep, ResolvedPlan } from './dependency-resolver.js';
import { InstallPlanDto } from './dto/install-result.dto.js';
import { InstallationBackupDto, type UpdatePluginDto, type UpdateResultDto } from './dto/update.dto.js';
import type { Actor, Installation, InstallationBackup, Permission } from './installation.entity.js';
import {
  BackupNotFoundError,
  MissingRequiredSettingsError,
  OperationInProgressError,
  PackageUnreadableError,
  PluginKilledError,
  type RollbackConflict,
  RollbackConflictError,
} from './installation.errors.js';
import { InstallationEvents } from './installation-events.js';
import { InstallationRuntime } from './installation-runtime.js';
import { transition } from './installation-state.js';
import { InstallationsService, type TargetQuery } from './installations.service.js';
import { type Change, InstallService, type Outcome, type PlanRequest, type PreparedUpdate } from './install.service.js';
import { InstallationRepository } from './persistence/installation.repository.js';
import { missingRequired } from './settings.js';
import { UpdateAvailability } from './update-availability.js';

/**
 * Updates (Nexus): POST …/update/ moves an installation to another version through the operation journal, with
 * its dependencies added or raised as the new version needs, keeping a backup of the previous version, settings
 * and grants; POST …/rollback/ goes back to a backup; GET …/backups/ lists them. When the new version does not
 * start, the update is undone by itself (the previous version runs again) and the answer says `rolled_back`.
 */
@Injectable()
export class UpdateService {
  constructor(
    private readonly installations: InstallationRepository,
    private readonly queries: InstallationsService,
    private readonly installer: InstallService,
    private readonly runtime: InstallationRuntime,
    private readonly registry: PluginVersionsService,
    private readonly events: InstallationEvents,
    private readonly availability: UpdateAvailability,
    private readonly bus: EventBus,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  // ---- the HTTP API --------------------------------------------------------------------------------------------

  async update(caller: AuthUser, key: string, query: TargetQuery, dto: UpdatePluginDto): Promise<UpdateResultDto> {
    const found = await this.queries.findForCaller(caller, key, query, 'manage');
    assertUpdatable(found);
    return this.updateAs(caller, found, userActor(caller), {
      mode: 'update',
      spec: dto.version ?? 'latest',
      config: dto.config,
      start: dto.restart_plugin ?? true,
      resetConfig: dto.update_config ?? false,
      backup: dto.backup_current ?? true,
    });
  }

  async rollback(caller: AuthUser, key: string, query: TargetQuery, backupId?: string): Promise<UpdateResultDto> {
    const found = await this.queries.findForCaller(caller, key, query, 'manage');
    assertUpdatable(found);
    const backup = backupId === undefined ? found.backups[0] : found.backups.find((b) => b.id === backupId);
    if (!backup) throw new BackupNotFoundError(key, backupId ?? null);
    const prepared = await this.prepareRollback(found, backup);
    return this.apply(found, prepared, userActor(caller), 'rollback');
  }

  async backups(
    caller: AuthUser,
    key: string,
    query: TargetQuery,
    window: PageWindow,
  ): Promise<Slice<InstallationBackupDto>> {
    const found = await this.queries.findForCaller(caller, key, query, 'read');
    return {
      count: found.backups.length,
      items: found.backups.slice(window.offset, window.offset + window.limit).map((b) => InstallationBackupDto.from(b)),
    };
  }

  // ---- for the platform (auto-update) ------------------------------------------------------------------------

  /**
   * Updates `installation` as `actor` (`system` for auto-update): resolved as `caller` sees the registry, carried
   * out through the journal, rolled back by itself when the new version does not start.
   */
  async updateAs(
    caller: AuthUser,
    found: Installation,
    actor: Actor,
    request: PlanRequest,
    reason = 'update',
  ): Promise<UpdateResultDto> {
    const prepared = await this.installer.prepareUpdate(caller, found, request);
    return this.apply(found, prepared, actor, reason);
  }

  // ---- the rules ---------------------------------------------------------------------------------------------------

  private async apply(
    found: Installation,
    prepared: PreparedUpdate,
    actor: Actor,
    reason: string,
  ): Promise<UpdateResultDto> {
    const outcome = await this.installer.carryOut(
      prepared.target,
      prepared.changes,
      actor,
      'update',
      found.pluginKey,
      reason,
    );
    const newVersion = prepared.root.after.installedVersion;
    const now = (await this.installations.find(found.id)) ?? found;
    if (outcome.rolledBack) await this.announceRollback(found, now, newVersion, outcome.rolledBack.message, actor);
    return this.result(found, now, prepared, outcome);
  }

  /** The update undid itself: the event says so, and the audit log records the platform's act. */
  private async announceRollback(
    found: Installation,
    now: Installation,
    attempted: string,
    message: string,
    actor: Actor,
  ): Promise<void> {
    await this.events.updated(now, found.installedVersion, actor, message, true, attempted);
    await this.bus.emit('audit.action', {
      actor: { kind: 'system', component: 'installation' },
      action: 'installation.update_rolled_back',
      target: { type: 'installation', id: found.id, key: found.pluginKey },
      ...(found.target.scope === 'org' ? { orgId: found.target.orgId } : {}),
      outcome: 'success',
      before: { version: found.installedVersion, status: found.status },
      after: { version: now.installedVersion, status: now.status },
      details: {
        attempted_version: attempted,
        startup_error: message,
        requested_by: actor.kind === 'user' ? actor.id : 'system',
      },
      at: this.clock.now(),
    });
  }

  private result(found: Installation, now: Installation, prepared: PreparedUpdate, outcome: Outcome): UpdateResultDto {
    const rolledBack = outcome.rolledBack !== null;
    return {
      plugin: found.pluginKey,
      old_version: found.installedVersion,
      new_version: prepared.root.after.installedVersion,
      status: rolledBack ? 'rolled_back' : 'completed',
      reason: outcome.rolledBack?.message ?? null,
      backup_id: rolledBack ? null : prepared.backupId,
      pending_grants: now.pendingGrants,
      plan: InstallPlanDto.from(prepared.plan),
      installation: this.queries.response(now),
      installations: rolledBack ? [] : outcome.installations.map((i) => this.queries.response(i)),
      updated_at: now.updatedAt.toISOString(),
    };
  }

  /**
   * A rollback as one replace step: the backup's version, settings and grants, checked against the target as it
   * is now (the backup's dependencies must be installed in versions it accepts, installed dependents must accept
   * its version). The backup is used up; the installation keeps its desired state.
   */
  private async prepareRollback(found: Installation, backup: InstallationBackup): Promise<PreparedUpdate> {
    const key = found.pluginKey;
    const [plugin] = await this.registry.storedPlugins([key]);
    if (plugin?.killed) throw new PluginKilledError(key);
    const pkg = await this.runtime.package(key, backup.version);
    if (!plugin || !pkg) throw new PackageUnreadableError(key, backup.version);
    const { manifest } = pkg;
    const dependencies = manifest.dependencies ?? {};
    const conflicts: RollbackConflict[] = [];
    for (const [dependency, range] of Object.entries(dependencies)) {
      const installed = await this.installations.findInTarget(dependency, found.target);
      const fits =
        installed !== null &&
        installed.status !== 'uninstalling' &&
        semver.satisfies(installed.installedVersion, range);
      if (!fits) {
        conflicts.push({
          key: dependency,
          range,
          by: { kind: 'backup', key, version: backup.version },
          installed: installed?.installedVersion ?? null,
        });
      }
    }
    for (const dependent of await this.installations.dependentsOf(key, found.target)) {
      const range = dependent.dependencies[key];
      if (dependent.status === 'uninstalling' || semver.satisfies(backup.version, range)) continue;
      conflicts.push({
        key,
        range,
        by: { kind: 'installed', key: dependent.pluginKey, version: dependent.installedVersion },
        installed: backup.version,
      });
    }
    if (conflicts.length) throw new RollbackConflictError(key, backup.version, conflicts);
    if (found.enabled) {
      const missing = missingRequired(manifest.settings, backup.config, Object.keys(backup.secrets));
      if (missing.length) {
        throw new MissingRequiredSettingsError(
          key,
          missing.map((k) => `config.${k}`),
        );
      }
    }

    const availableVersion = this.availability.availableFor(backup.version, await this.availability.released(key));
    // As an install records them (install.service.ts): the manifest's permissions as listed.
    const requested = (manifest.permissions ?? []) as Permission[];
    const step: PlanStep = {
      key,
      from: found.installedVersion,
      to: backup.version,
      action: 'upgrade',
      capabilities: requested,
      dependencies,
      requiredBy: [],
      warnings: [],
    };
    const plan: ResolvedPlan = {
      kind: 'plan',
      key,
      version: backup.version,
      alreadyInstalled: found.installedVersion,
      steps: [step],
      warnings: [],
    };
    const change: Change = {
      step,
      before: found,
      reusedRetained: false,
      after: {
        ...found,
        installedVersion: backup.version,
        status: 'installing',
        statusReason: null,
        source: backup.source,
        config: backup.config,
        secrets: backup.secrets,
        grants: backup.grants,
        pendingGrants: [],
        requested,
        dependencies,
        updateAvailable: availableVersion !== null,
        availableVersion,
        backups: found.backups.filter((b) => b.id !== backup.id),
        updatedAt: this.clock.now(),
        operationId: null,
      },
    };
    return { plan, target: found.target, changes: [change], root: change, backupId: null };
  }
}

/** An update needs an installed, idle installation that is not killed. */
function assertUpdatable(found: Installation): void {
  if (found.operationId !== null) throw new OperationInProgressError();
  transition(found.status, 'update', found.pluginKey);
}

const userActor = (caller: AuthUser): Actor => ({ kind: 'user', id: caller.id });
