import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, type FieldError, JsonLogger } from '@app/common';
import type { Permission, SettingDefinition } from '@app/plugin-sdk';
import { AuditNotes } from '../admin/audit-notes.js';
import { SecretBox } from '../secrets/secret-box.js';
import type { PlanStep, ResolvedPlan } from './dependency-resolver.js';
import type { InstallPluginDto } from './dto/install-plugin.dto.js';
import { InstallResultDto } from './dto/install-result.dto.js';
import { grantsAcrossVersions, grantsAtInstall, normalise } from './grants.js';
import {
  type Actor,
  type Installation,
  type InstallationBackup,
  type InstallationSource,
  type InstallationTarget,
  MAX_BACKUPS,
  type Operation,
  type OperationKind,
  type OperationStep,
  zeroUsage,
} from './installation.entity.js';
import {
  GrantNotRequestedError,
  InvalidConfigError,
  MissingRequiredSettingsError,
  PackageUnreadableError,
  PluginAlreadyInstalledError,
  PluginStartupFailedError,
  TargetMismatchError,
  UpToDateError,
} from './installation.errors.js';
import { InstallationEvents } from './installation-events.js';
import { InstallationRuntime, secretContext } from './installation-runtime.js';
import { InstallationsService, type TargetQuery } from './installations.service.js';
import { InstallResolution, type ResolvedInstall } from './install-resolution.js';
import { OperationJournal } from './operation-journal.js';
import { PackageSource } from './package-source.js';
import { InstallationRepository } from './persistence/installation.repository.js';
import { RuntimeReconciler } from './runtime-reconciler.js';
import { releasedFrom, UpdateAvailability } from './update-availability.js';
import { missingRequired, settingsAcrossVersions, settingsAtInstall } from './settings.js';

interface Manifestish {
  settings?: Record<string, SettingDefinition>;
  permissions?: Permission[];
  dependencies?: Record<string, string>;
}

/** One installation an operation writes: what it was, what it becomes (`after.enabled`: whether it starts). */
export interface Change {
  step: PlanStep;
  before: Installation | null;
  after: Installation;
  reusedRetained: boolean;
}

/** What an install or update does to the target, before any of it is written. */
interface Prepared {
  target: InstallationTarget;
  resolved: ResolvedInstall;
  changes: Change[];
}

/** What a plan is asked to do with the root plugin (the install body, or an update's). */
export interface PlanRequest {
  mode: 'install' | 'update';
  /** A dist-tag, an exact version or a semver range. */
  spec: string;
  config?: Record<string, unknown>;
  dependencyConfig?: Record<string, Record<string, unknown>>;
  /** install only: the grants consented to (omitted: everything requested). */
  grants?: Permission[];
  /** install: auto_enable; update: start the new version if the installation is on (restart_plugin). */
  start: boolean;
  autoUpdate?: boolean;
  /** install: force_reinstall. */
  force?: boolean;
  /** update: plain settings take the new version's defaults (update_config). */
  resetConfig?: boolean;
  /** update: keep the current version, settings and grants as a backup (backup_current). */
  backup?: boolean;
  /** Resolve over approved versions only, even for the plugin's managers (auto-update). */
  approvedOnly?: boolean;
  /** install: where the root's package came from, when not the store (upload, url). */
  source?: InstallationSource;
}

/** What carrying out an operation came to. */
export interface Outcome {
  /** Every installation it created or changed, in activation order (as they were before, when rolled back). */
  installations: Installation[];
  /** Set when the root did not start and everything was put back as it was (an update rolls back by itself). */
  rolledBack: { message: string } | null;
}

/** A prepared update (or rollback to a backup), before it is carried out. */
export interface PreparedUpdate {
  plan: ResolvedPlan;
  target: InstallationTarget;
  changes: Change[];
  root: Change;
  backupId: string | null;
}

/**
 * Installing a plugin with its dependencies into one target (POST /api/plugins/{plugin}/install/, and the org
 * endpoints' install). Everything is checked before anything is written: resolution (versions, platform,
 * dependencies, already installed, killed plugins), settings against each manifest (every bad field at once),
 * grants, and, when the plugins are to start, their required settings. Then the plan goes through the operation
 * journal (operation-journal.ts): journaled, each installation written, each started in dependency order, then
 * committed; a failure on the way rolls it back, a crash is finished or undone at the next start.
 */
@Injectable()
export class InstallService {
  private readonly logger: JsonLogger;

  constructor(
    private readonly installations: InstallationRepository,
    private readonly queries: InstallationsService,
    private readonly resolution: InstallResolution,
    private readonly journal: OperationJournal,
    private readonly runtime: InstallationRuntime,
    private readonly reconciler: RuntimeReconciler,
    private readonly events: InstallationEvents,
    private readonly secrets: SecretBox,
    private readonly availability: UpdateAvailability,
    private readonly packages: PackageSource,
    private readonly auditNotes: AuditNotes,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('InstallService');
  }

  async install(caller: AuthUser, key: string, dto: InstallPluginDto, query: TargetQuery): Promise<InstallResultDto> {
    PackageSource.check(dto);
    const target = await this.queries.target(caller, this.targetQuery(dto, query), 'manage');
    // upload / url: the package is published first, then that exact version is installed.
    const staged =
      dto.source === 'upload' || dto.source === 'url' ? await this.packages.stage(caller, key, dto, target) : null;
    const prepared = await this.prepare(caller, key, target, {
      mode: 'install',
      spec: staged?.version ?? dto.version ?? 'latest',
      source: staged?.source,
      config: dto.config,
      dependencyConfig: dto.dependency_config,
      grants: dto.grants,
      start: dto.auto_enable ?? true,
      autoUpdate: dto.auto_update,
      force: dto.force_reinstall,
    });
    if (dto.dry_run) return InstallResultDto.dryRun(prepared.resolved.plan);
    const actor: Actor = { kind: 'user', id: caller.id };
    const { installations: changed } = await this.carryOut(prepared.target, prepared.changes, actor, 'install', key);
    const root = changed.find((i) => i.pluginKey === key)!;
    const result = InstallResultDto.done(
      prepared.resolved.plan,
      this.queries.response(root),
      changed.map((i) => this.queries.response(i)),
    );
    const failed = changed.find((i) => i.status === 'failed' && prepared.changes.some((c) => c.after.id === i.id));
    if (failed && dto.auto_enable !== false) {
      throw new PluginStartupFailedError(failed.pluginKey, failed.id, failed.statusReason ?? 'it did not start');
    }
    return result;
  }

  /** Scope and org may come in the query (§4) or the body (issue 10); when both name one, they must agree. */
  private targetQuery(dto: InstallPluginDto, query: TargetQuery): TargetQuery {
    if (dto.scope !== undefined && query.scope !== undefined && dto.scope !== query.scope) {
      throw new TargetMismatchError('scope');
    }
    if (dto.org !== undefined && query.org !== undefined && dto.org !== query.org) throw new TargetMismatchError('org');
    return { scope: dto.scope ?? query.scope, org: dto.org ?? query.org };
  }

  // ---- checking ----------------------------------------------------------------------------------------------------

  /**
   * Prepares an update of an installed plugin (POST …/update/ and auto-update): resolved like an install of the
   * requested version over the target (dependencies added or raised as it needs), the root moving from its
   * installed version, with its settings and grants carried over (new capabilities pending) and, with `backup`,
   * the current version kept as a backup. Nothing is written.
   */
  async prepareUpdate(caller: AuthUser, installation: Installation, request: PlanRequest): Promise<PreparedUpdate> {
    const prepared = await this.prepare(caller, installation.pluginKey, installation.target, request);
    const root = prepared.changes.find((c) => c.after.pluginKey === installation.pluginKey)!;
    return {
      plan: prepared.resolved.plan,
      target: prepared.target,
      changes: prepared.changes,
      root,
      backupId: request.backup ? root.after.backups[0].id : null,
    };
  }

  private async prepare(
    caller: AuthUser,
    key: string,
    target: InstallationTarget,
    request: PlanRequest,
  ): Promise<Prepared> {
    const update = request.mode === 'update';
    const resolved = await this.resolution.resolve(caller, key, request.spec, target, {
      approvedOnly: request.approvedOnly,
    });
    const { plan } = resolved;
    // The body's secret settings by each manifest's flags, for the audit entry to redact, before any refusal.
    for (const step of plan.steps) {
      const given = step.key === key ? request.config : request.dependencyConfig?.[step.key];
      const version = resolved.plugins.get(step.key)?.versions.find((v) => v.version === step.to);
      if (given && version) this.auditNotes.secretSettings((version.manifest as Manifestish).settings, given);
    }
    const existing = new Map(resolved.installed.map((i) => [i.pluginKey, i]));
    const root = existing.get(key);
    if (!update && root && !request.force) throw new PluginAlreadyInstalledError(key, root.id, root.installedVersion);
    const rootStep = plan.steps.find((s) => s.key === key)!;
    if (update && (!root || rootStep.to === root.installedVersion)) {
      throw new UpToDateError(key, root?.installedVersion ?? rootStep.to, request.spec);
    }

    const configErrors: FieldError[] = [];
    const grantErrors: FieldError[] = [];
    const missing: FieldError[] = [];
    const changes: Change[] = [];
    // An update starts the new version only if the installation is on; new dependencies follow the root.
    const rootEnabled = update ? root!.enabled && request.start : request.start;
    const extraConfig = new Set(Object.keys(request.dependencyConfig ?? {}));

    for (const step of plan.steps) {
      const isRoot = step.key === key;
      if (step.action === 'keep' && !isRoot) continue;
      const version = resolved.plugins.get(step.key)?.versions.find((v) => v.version === step.to);
      if (!version) throw new PackageUnreadableError(step.key, step.to);
      const manifest = version.manifest as Manifestish;
      const before = existing.get(step.key) ?? null;
      const field = isRoot ? 'config' : `dependency_config.${step.key}`;
      const given = isRoot ? request.config : request.dependencyConfig?.[step.key];
      if (!isRoot) extraConfig.delete(step.key);

      const retained = before ? null : await this.installations.findRetained(step.key, target);
      const id = before?.id ?? retained?.installationId ?? this.installations.newId();
      // Values carried over (a reinstall, an update, a raised dependency, retained settings), then what is given.
      const carried = before ?? retained;
      const base = carried
        ? settingsAcrossVersions(manifest.settings, carried.config, Object.keys(carried.secrets))
        : { config: {}, keptSecrets: [] as string[] };
      if (isRoot && request.resetConfig) base.config = {};
      const fresh = settingsAtInstall(manifest.settings, given, field);
      configErrors.push(...fresh.errors);
      const givenKeys = new Set(Object.keys(given ?? {}));
      const config = { ...fresh.config, ...pick(base.config, (k) => !givenKeys.has(k)) };
      const secrets: Record<string, string> = {};
      for (const k of base.keptSecrets) if (!givenKeys.has(k)) secrets[k] = carried!.secrets[k];
      for (const [k, value] of Object.entries(fresh.secrets))
        secrets[k] = this.secrets.seal(value, secretContext(id, k));

      const requested = manifest.permissions ?? [];
      let grants: Permission[];
      let pendingGrants: Permission[] = [];
      if (before && !(isRoot && request.grants !== undefined)) {
        ({ grants, pending: pendingGrants } = grantsAcrossVersions(before.grants, before.requested, requested));
        // Still pending from an earlier update and still requested: still pending.
        const stillRequested = new Set(requested.map((p) => JSON.stringify(p)));
        for (const p of before.pendingGrants) if (stillRequested.has(JSON.stringify(p))) pendingGrants.push(p);
        pendingGrants = normalise(pendingGrants);
      } else {
        const granted = grantsAtInstall(requested, isRoot ? request.grants : undefined);
        grantErrors.push(...granted.errors);
        grants = granted.grants;
      }

      const enabled = isRoot ? rootEnabled : before ? before.enabled : rootEnabled;
      if (enabled) {
        const absent = missingRequired(manifest.settings, config, Object.keys(secrets));
        missing.push(...absent.map((name) => ({ field: `${field}.${name}`, message: 'is required' })));
      }
      const released = releasedFrom(
        (resolved.plugins.get(step.key)?.versions ?? []).filter((v) => v.status === 'approved' && !v.yanked),
      );
      const availableVersion = this.availability.availableFor(step.to, released);
      const now = this.clock.now();
      let backups = before?.backups ?? [];
      if (isRoot && update && request.backup && before)
        backups = [this.backupOf(before), ...backups].slice(0, MAX_BACKUPS);
      changes.push({
        step,
        before,
        reusedRetained: !before && retained !== null,
        after: {
          id,
          pluginKey: step.key,
          target,
          installedVersion: step.to,
          status: 'installing',
          enabled,
          statusReason: null,
          source: (isRoot ? request.source : undefined) ?? sourceOf(resolved, step.key),
          config,
          secrets,
          grants,
          pendingGrants,
          limits: before?.limits ?? null,
          securityLevel: before?.securityLevel ?? null,
          metadata: before?.metadata ?? {},
          requested,
          dependencies: manifest.dependencies ?? {},
          usage: before?.usage ?? zeroUsage(),
          autoUpdate:
            isRoot && !update ? (request.autoUpdate ?? before?.autoUpdate ?? false) : (before?.autoUpdate ?? false),
          updateAvailable: availableVersion !== null,
          availableVersion,
          backups,
          installedBy: before?.installedBy ?? caller.id,
          installedAt: before?.installedAt ?? now,
          updatedAt: now,
          operationId: null,
        },
      });
    }
    for (const k of extraConfig) {
      configErrors.push({ field: `dependency_config.${k}`, message: 'is not a plugin this install adds' });
    }
    if (configErrors.length) throw new InvalidConfigError(configErrors);
    if (grantErrors.length) throw new GrantNotRequestedError(grantErrors);
    if (missing.length)
      throw new MissingRequiredSettingsError(
        key,
        missing.map((m) => m.field),
      );
    return { target, resolved, changes };
  }

  /** The installation's current version, settings and grants, to roll back to. */
  backupOf(installation: Installation): InstallationBackup {
    return {
      id: this.installations.newId(),
      version: installation.installedVersion,
      config: installation.config,
      secrets: installation.secrets,
      grants: installation.grants,
      source: installation.source,
      createdAt: this.clock.now(),
    };
  }

  // ---- doing -------------------------------------------------------------------------------------------------------

  /**
   * Journals and carries out an operation's changes (an install's plan, an update, a rollback to a backup):
   * each installation written, each started in activation order, then committed. An install whose plugins fail
   * to start is committed with them `failed`; an update (`kind` update) whose root plugin does not start is
   * rolled back instead: what it started is stopped, every installation restored, the previous versions started
   * again, and the outcome says so. Any other failure rolls it back and is thrown.
   */
  async carryOut(
    target: InstallationTarget,
    changes: Change[],
    actor: Actor,
    kind: Exclude<OperationKind, 'uninstall'>,
    rootKey: string,
    reason: string = kind,
  ): Promise<Outcome> {
    const steps: OperationStep[] = changes.map((c) => ({
      pluginKey: c.after.pluginKey,
      installationId: c.after.id,
      action: c.before ? 'replace' : 'create',
      before: c.before,
      reusedRetained: c.reusedRetained,
    }));
    const op = this.journal.create(kind, target, actor, steps);
    await this.journal.begin(op);
    this.journal.fault(`${kind}.journaled`);
    const started: Installation[] = [];
    try {
      for (const change of changes) {
        await this.write(change, op);
        this.journal.fault(`${kind}.step_written`);
      }
      // Written, not started yet. Recovery tells only `done` from the rest, so this point writes nothing.
      this.journal.fault(`${kind}.applied`);
      // A one-step install is settled and released in one write: that write is its commit point (recovery takes
      // a released installation for done), so it needs neither the `done` phase nor a separate release.
      const settledIsCommit = kind === 'install' && changes.length === 1;
      const results: Installation[] = [];
      for (const change of changes) {
        const done = await this.activate(change, results, settledIsCommit);
        if (done.status === 'active') started.push(done);
        results.push(done);
        this.journal.fault(`${kind}.activated`);
      }
      const root = results.find((r) => r.pluginKey === rootKey);
      const rootChange = changes.find((c) => c.after.pluginKey === rootKey);
      if (kind === 'update' && root && rootChange?.after.enabled && root.status === 'failed') {
        const message = root.statusReason ?? 'it did not start';
        this.logger.warn('The new version did not start; rolling the update back', {
          operation_id: op.id,
          plugin: rootKey,
          installation_id: root.id,
        });
        await this.undo(op, changes, started);
        return { installations: changes.map((c) => c.before ?? c.after), rolledBack: { message } };
      }
      await (settledIsCommit ? this.journal.commitReleased(op) : this.journal.commit(op));
      await this.announce(changes, results, actor, reason);
      return { installations: results, rolledBack: null };
    } catch (err) {
      this.logger.error(`The ${kind} failed; rolling back`, { operation_id: op.id, error: String(err) });
      await this.undo(op, changes, started);
      throw err;
    }
  }

  private async write(change: Change, op: Operation): Promise<void> {
    const after = { ...change.after, operationId: op.id };
    if (!change.before) {
      await this.installations.insert(after);
      return;
    }
    // The installation may not be in the middle of another change (a lifecycle call racing this install).
    const claimed = await this.installations.claimForOperation(change.before.id, op.id);
    if (!claimed) throw new PluginAlreadyInstalledError(after.pluginKey, after.id, change.before.installedVersion);
    await this.installations.replace(after);
  }

  /**
   * Starts (or restarts, for a raised dependency) what should run, in dependency order: a plugin whose dependency
   * did not start does not start either. Writes the resulting status.
   */
  private async activate(change: Change, done: Installation[], release: boolean): Promise<Installation> {
    const { after } = change;
    return this.runtime.exclusive(after.id, async () => {
      if (!after.enabled) {
        await this.runtime.stop(after.id, 'installed disabled');
        return this.settle(after, 'disabled', null, release);
      }
      const broken = done.find((d) => d.pluginKey in after.dependencies && d.status === 'failed');
      if (broken) return this.settle(after, 'failed', `its dependency ${broken.pluginKey} did not start`, release);
      const result = await this.runtime.start(after);
      if (result.ok) return this.settle(after, 'active', null, release);
      if (result.stage !== 'placement') {
        this.reconciler.record({ stage: result.stage, name: after.pluginKey, message: result.message }, after.id);
      }
      return this.settle(after, 'failed', result.message, release);
    });
  }

  /** Writes the status an activation came to; `release`: and frees the installation from its operation. */
  private async settle(
    after: Installation,
    status: 'active' | 'disabled' | 'failed',
    reason: string | null,
    release: boolean,
  ) {
    const settled = await this.installations.update(after.id, {
      status,
      statusReason: reason,
      ...(release && { operationId: null }),
    });
    // The operation holds it: nothing else may remove it meanwhile. Gone anyway is a bug worth failing (undo).
    if (!settled) throw new Error(`installation ${after.id} vanished while its operation settled it`);
    return settled;
  }

  /**
   * The operation's events, emitted in order all at once and awaited together: the event store writes the events
   * published in one turn in one go (its group commit), in the order they were published.
   */
  private async announce(changes: Change[], results: Installation[], actor: Actor, reason: string): Promise<void> {
    const emitted: Array<Promise<void>> = [];
    for (const [i, change] of changes.entries()) {
      const now = results[i];
      if (!change.before) {
        emitted.push(this.events.changed(now, null, now.status, actor, 'installed'));
        emitted.push(this.events.lifecycle('plugin.installed', now, actor));
        if (now.status === 'active') emitted.push(this.events.lifecycle('plugin.activated', now, actor));
        continue;
      }
      if (change.before.installedVersion !== now.installedVersion) {
        emitted.push(this.events.updated(now, change.before.installedVersion, actor, reason));
      }
      emitted.push(this.events.statusChanged(now, change.before.status, actor, reason));
    }
    await Promise.all(emitted);
  }

  /** After a failure while carrying out: stop what this install started, restore the journal's snapshots. */
  private async undo(op: Operation, changes: Change[], started: Installation[]): Promise<void> {
    for (const installation of started.reverse()) await this.runtime.stop(installation.id, 'install rolled back');
    await this.journal.rollback(op);
    for (const change of changes) {
      if (change.before && change.before.status === 'active') {
        await this.runtime.exclusive(change.before.id, () => this.runtime.start(change.before!));
      }
    }
  }
}

const sourceOf = (resolved: ResolvedInstall, key: string): InstallationSource =>
  resolved.plugins.get(key)?.plugin.source === 'builtin' ? 'builtin' : 'store';

function pick(values: Record<string, unknown>, keep: (key: string) => boolean): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([k]) => keep(k)));
}
