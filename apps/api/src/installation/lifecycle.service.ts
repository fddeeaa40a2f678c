import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock } from '@app/common';
import { isKilled } from '../registry/plugin-visibility.js';
import { PluginVersionsService } from '../registry/plugin-versions.service.js';
import type { InstallationResponseDto } from './dto/installation-response.dto.js';
import { UninstallResultDto } from './dto/uninstall.dto.js';
import type { Actor, Installation, InstallationStatus } from './installation.entity.js';
import {
  DependencyInactiveError,
  InstalledDependentsError,
  MissingRequiredSettingsError,
  NotInstalledError,
  OperationInProgressError,
  PackageUnreadableError,
  PluginKilledError,
  PluginStartupFailedError,
} from './installation.errors.js';
import { InstallationEvents } from './installation-events.js';
import { InstallationRuntime } from './installation-runtime.js';
import { type LifecycleAction, transition } from './installation-state.js';
import { InstallationsService, type TargetQuery } from './installations.service.js';
import { OperationJournal } from './operation-journal.js';
import { InstallationRepository } from './persistence/installation.repository.js';
import { RuntimeReconciler } from './runtime-reconciler.js';
import { missingRequired } from './settings.js';

export interface StopOptions {
  reason?: string;
  /** Wait for onCleanup (default true); false answers at once while the runtime stops it. */
  graceful?: boolean;
  /** The longest the answer waits for onCleanup, in seconds (default: until it is done). */
  timeoutSeconds?: number;
}

export interface UninstallOptions {
  /** Remove settings and plugin storage (default true); false keeps them for the next install in the target. */
  deleteConfig?: boolean;
  /** Uninstall although installed plugins of the target depend on it. */
  force?: boolean;
}

/**
 * An installation's life after install: activate, enable, disable, restart (the state machine in
 * installation-state.ts), both uninstall forms, and the administrators' kill switch. Every change runs inside
 * InstallationRuntime.exclusive, re-reads the installation there and writes conditionally, so concurrent calls
 * on one installation apply one after the other and an operation holding it (install, update) is never crossed.
 */
@Injectable()
export class LifecycleService {
  constructor(
    private readonly installations: InstallationRepository,
    private readonly queries: InstallationsService,
    private readonly runtime: InstallationRuntime,
    private readonly reconciler: RuntimeReconciler,
    private readonly journal: OperationJournal,
    private readonly events: InstallationEvents,
    private readonly registry: PluginVersionsService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  // ---- the HTTP API --------------------------------------------------------------------------------------------

  /** PUT/PATCH …/activate/ {active}: the desired state, idempotent (InvenTree). */
  async setActive(
    caller: AuthUser,
    key: string,
    query: TargetQuery,
    active: boolean,
  ): Promise<InstallationResponseDto> {
    const found = await this.queries.findForCaller(caller, key, query, 'manage');
    const actor = userActor(caller);
    let result: Installation;
    if (active) result = found.status === 'active' ? found : await this.start(found, 'activate', actor, null);
    else result = found.status === 'disabled' ? found : await this.stop(found, actor, {});
    return this.queries.response(result);
  }

  /** POST …/enable/: starts a disabled or failed installation; 409 when it is active already. */
  enable(caller: AuthUser, key: string, query: TargetQuery, reason?: string): Promise<InstallationResponseDto> {
    return this.startFor(caller, key, query, 'activate', reason);
  }

  /** POST …/disable/: stops an active (or failed) installation. */
  async disable(
    caller: AuthUser,
    key: string,
    query: TargetQuery,
    options: StopOptions,
  ): Promise<InstallationResponseDto> {
    const found = await this.queries.findForCaller(caller, key, query, 'manage');
    return this.queries.response(await this.stop(found, userActor(caller), options));
  }

  /** POST …/restart/: stops and starts an active or failed installation (how a failed one is retried). */
  restart(caller: AuthUser, key: string, query: TargetQuery, reason?: string): Promise<InstallationResponseDto> {
    return this.startFor(caller, key, query, 'restart', reason);
  }

  private async startFor(
    caller: AuthUser,
    key: string,
    query: TargetQuery,
    op: 'activate' | 'restart',
    reason: string | undefined,
  ): Promise<InstallationResponseDto> {
    const found = await this.queries.findForCaller(caller, key, query, 'manage');
    return this.queries.response(await this.start(found, op, userActor(caller), reason ?? null));
  }

  /**
   * PUT/PATCH …/uninstall/ (InvenTree): an active installation must be deactivated first (409). DELETE …/install/
   * (NetPad) passes `deactivate`: an active one is deactivated and uninstalled in one call.
   */
  async uninstall(
    caller: AuthUser,
    key: string,
    query: TargetQuery,
    options: UninstallOptions,
    deactivate = false,
  ): Promise<UninstallResultDto> {
    const found = await this.queries.findForCaller(caller, key, query, 'manage');
    if (!deactivate || found.status !== 'active') transition(found.status, 'uninstall', key);
    return this.remove(found, userActor(caller), options, deactivate);
  }

  // ---- for other modules (admin's kill switch) -------------------------------------------------------------

  /** Stops every installation of `key` (of `versions`; empty: all) and marks it killed (the admin's kill switch). */
  async killAll(key: string, actor: Actor, reason: string, versions: readonly string[] = []): Promise<number> {
    let n = 0;
    for (const installation of await this.installations.listByPlugin(key)) {
      if (versions.length && !versions.includes(installation.installedVersion)) continue;
      const killed = await this.runtime.exclusive(installation.id, async () => {
        const fresh = await this.installations.find(installation.id);
        if (!fresh || fresh.operationId !== null || fresh.status === 'killed') return false;
        if (fresh.status === 'installing' || fresh.status === 'uninstalling') return false;
        await this.runtime.stop(fresh.id, 'killed');
        const next = await this.installations.update(
          fresh.id,
          { status: transition(fresh.status, 'kill', key), enabled: false, statusReason: reason },
          { status: [fresh.status], idle: true },
        );
        if (next) await this.events.statusChanged(next, fresh.status, actor, reason);
        return next !== null;
      });
      if (killed) n++;
    }
    return n;
  }

  /** Lifts the kill switch: killed installations become disabled (their owners turn them back on). */
  async reviveAll(key: string, actor: Actor): Promise<number> {
    let n = 0;
    for (const installation of await this.installations.listByPlugin(key)) {
      if (installation.status !== 'killed') continue;
      const next = await this.installations.update(
        installation.id,
        { status: transition('killed', 'revive', key), statusReason: null },
        { status: ['killed'], idle: true },
      );
      if (next) {
        n++;
        await this.events.statusChanged(next, 'killed', actor, 'revived');
      }
    }
    return n;
  }

  // ---- the rules ---------------------------------------------------------------------------------------------------

  /** activate (disabled/failed → active) or restart (active/failed → active). */
  async start(
    installation: Installation,
    action: LifecycleAction,
    actor: Actor,
    reason: string | null,
  ): Promise<Installation> {
    return this.runtime.exclusive(installation.id, async () => {
      const fresh = await this.current(installation);
      transition(fresh.status, action, fresh.pluginKey);
      await this.assertStartable(fresh);
      const result = await this.runtime.start({ ...fresh, enabled: true });
      if (!result.ok) {
        const failed = await this.write(fresh, { status: 'failed', enabled: true, statusReason: result.message });
        if (result.stage !== 'placement') {
          this.reconciler.record({ stage: result.stage, name: fresh.pluginKey, message: result.message }, fresh.id);
        }
        await this.events.statusChanged(failed, fresh.status, actor, result.message);
        throw new PluginStartupFailedError(fresh.pluginKey, fresh.id, result.message);
      }
      const active = await this.write(fresh, { status: 'active', enabled: true, statusReason: reason });
      await this.events.statusChanged(active, fresh.status, actor, reason ?? action);
      return active;
    });
  }

  /** deactivate (active/failed → disabled). */
  async stop(installation: Installation, actor: Actor, options: StopOptions): Promise<Installation> {
    return this.runtime.exclusive(installation.id, async () => {
      const fresh = await this.current(installation);
      const next = transition(fresh.status, 'deactivate', fresh.pluginKey);
      const wait =
        options.graceful === false
          ? 0
          : options.timeoutSeconds === undefined
            ? undefined
            : options.timeoutSeconds * 1000;
      await this.runtime.stop(fresh.id, options.reason ?? 'disabled', wait);
      const disabled = await this.write(fresh, { status: next, enabled: false, statusReason: options.reason ?? null });
      await this.events.statusChanged(disabled, fresh.status, actor, options.reason ?? null);
      return disabled;
    });
  }

  /** Checks that may refuse a start: the kill switch, required settings, dependencies running in the target. */
  private async assertStartable(installation: Installation): Promise<void> {
    const [plugin] = await this.registry.storedPlugins([installation.pluginKey]);
    if (plugin && isKilled(plugin, installation.installedVersion)) {
      throw new PluginKilledError(installation.pluginKey, plugin.killedReason);
    }
    const pkg = await this.runtime.package(installation.pluginKey, installation.installedVersion);
    if (!pkg) throw new PackageUnreadableError(installation.pluginKey, installation.installedVersion);
    const missing = missingRequired(pkg.manifest.settings, installation.config, Object.keys(installation.secrets));
    if (missing.length)
      throw new MissingRequiredSettingsError(
        installation.pluginKey,
        missing.map((k) => `config.${k}`),
      );
    const inactive: Array<{ key: string; status: InstallationStatus | 'not_installed' }> = [];
    for (const dependency of Object.keys(installation.dependencies)) {
      const found = await this.installations.findInTarget(dependency, installation.target);
      if (found?.status !== 'active') inactive.push({ key: dependency, status: found?.status ?? 'not_installed' });
    }
    if (inactive.length) throw new DependencyInactiveError(installation.pluginKey, inactive);
  }

  /** Uninstalls through the journal: marked uninstalling, stopped, settings and data removed or retained, gone. */
  private async remove(
    installation: Installation,
    actor: Actor,
    options: UninstallOptions,
    deactivate: boolean,
  ): Promise<UninstallResultDto> {
    const deleteConfig = options.deleteConfig ?? true;
    const dependents = (await this.installations.dependentsOf(installation.pluginKey, installation.target)).filter(
      (d) => d.status !== 'uninstalling',
    );
    if (dependents.length && !options.force) {
      throw new InstalledDependentsError(
        installation.pluginKey,
        dependents.map((d) => ({
          key: d.pluginKey,
          version: d.installedVersion,
          range: d.dependencies[installation.pluginKey],
        })),
      );
    }
    return this.runtime.exclusive(installation.id, async () => {
      const fresh = await this.current(installation);
      if (!(deactivate && fresh.status === 'active')) transition(fresh.status, 'uninstall', fresh.pluginKey);
      const op = this.journal.create('uninstall', fresh.target, actor, [
        {
          pluginKey: fresh.pluginKey,
          installationId: fresh.id,
          action: 'remove',
          before: fresh,
          reusedRetained: false,
          deleteConfig,
        },
      ]);
      await this.journal.begin(op);
      const marked = await this.installations.claimForOperation(fresh.id, op.id, 'uninstalling');
      if (!marked) {
        await this.journal.abandon(op);
        throw new OperationInProgressError();
      }
      this.journal.fault('uninstall.marked');
      await this.runtime.stop(fresh.id, 'uninstalled');
      if (fresh.status === 'active') await this.events.lifecycle('plugin.disabled', fresh, actor, 'uninstalled');
      this.journal.fault('uninstall.stopped');
      await this.journal.finishRemoval(op.steps[0]);
      await this.journal.commit(op);
      await this.events.changed(fresh, fresh.status, 'uninstalled', actor, null);
      await this.events.lifecycle('plugin.uninstalled', fresh, actor);
      return UninstallResultDto.from(fresh, deleteConfig, this.clock.now());
    });
  }

  /** The installation as stored now; OperationInProgressError while an operation holds it. */
  private async current(installation: Installation): Promise<Installation> {
    const fresh = await this.installations.find(installation.id);
    if (!fresh) throw new NotInstalledError(installation.pluginKey);
    if (fresh.operationId !== null) throw new OperationInProgressError();
    return fresh;
  }

  private async write(
    fresh: Installation,
    changes: { status: InstallationStatus; enabled: boolean; statusReason: string | null },
  ): Promise<Installation> {
    const updated = await this.installations.update(fresh.id, changes, { status: [fresh.status], idle: true });
    if (!updated) throw new OperationInProgressError();
    return updated;
  }
}

const userActor = (caller: AuthUser): Actor => ({ kind: 'user', id: caller.id });
