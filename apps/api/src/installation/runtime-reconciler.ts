import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Clock, JsonLogger, OnPlughubEvent } from '@app/common';
import type { StateChangeEvent } from '@app/runtime';
import { projectFile } from '../config/paths.js';
import { ShippedPluginsLoader } from '../registry/shipped-plugins.loader.js';
import type { Installation } from './installation.entity.js';
import { ReloadInProgressError } from './installation.errors.js';
import { InstallationEvents } from './installation-events.js';
import { InstallationRuntime, type StartStage } from './installation-runtime.js';
import { wantsToRun } from './installation-state.js';
import { OperationJournal } from './operation-journal.js';
import { InstallationRepository } from './persistence/installation.repository.js';

/** One problem of loading, checking or starting an installation (GET /api/plugins/status/ `registry_errors`). */
export interface RegistryError {
  stage: StartStage | 'recovery' | 'runtime';
  /** The plugin key. */
  name: string;
  message: string;
  installationId: string | null;
  at: Date;
}

export interface ReloadOptions {
  /** Register the plugins shipped in plugins/ again first (new versions of builtins and samples). */
  collectPlugins?: boolean;
  /** Also restart instances that run another version than the stored one. */
  forceReload?: boolean;
  /** Restart every installation that should run, running ones included. */
  fullReload?: boolean;
}

export interface ReloadReport {
  loaded: number;
  stopped: number;
  failed: number;
  collected: string[];
}

/** Loads started at once (each waits for its worker; more would only queue there). */
const LOAD_CONCURRENCY = 16;
const MAX_ERRORS = 1000;

/**
 * Desired state in Mongo, actual state in the runtime: this is the one place that brings the runtime in line with
 * the stored installations. At start-up it first finishes or undoes what a crash left in the operation journal,
 * then loads every installation whose desired state is on, in the background (GET /api/plugins/status/ says
 * when it is done); POST /api/plugins/reload/ runs the same reconciliation. What fails to load is recorded in the
 * installation (`failed`, with the reason) and in the registry errors, never fatal. A lease check for several
 * nodes goes in front of each load (INSTALLATION_PLACEMENT, checked by InstallationRuntime.start).
 */
@Injectable()
export class RuntimeReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private running: Promise<ReloadReport> | null = null;
  private errors: RegistryError[] = [];
  private lastReloadAt: Date | null = null;
  /** Set when the app shuts down (before the runtime closes): loads stop, and none is recorded as failed. */
  private stopping = false;
  private readonly logger: JsonLogger;

  constructor(
    private readonly installations: InstallationRepository,
    private readonly runtime: InstallationRuntime,
    private readonly journal: OperationJournal,
    private readonly events: InstallationEvents,
    private readonly shipped: ShippedPluginsLoader,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('RuntimeReconciler');
  }

  async onApplicationBootstrap(): Promise<void> {
    // Recovery first and awaited: nothing may read a half-made operation once the server answers.
    const report = await this.journal.recover();
    for (const op of [...report.rolledBack, ...report.completed]) {
      const outcome = report.rolledBack.includes(op) ? 'rolled back' : 'completed';
      for (const key of op.keys) {
        this.record({ stage: 'recovery', name: key, message: `an interrupted ${op.kind} was ${outcome}` }, null);
      }
    }
    // Loading may take minutes with thousands of installations: the API answers meanwhile.
    this.running = this.reconcile({}, false).finally(() => (this.running = null));
    this.running.catch((err: unknown) => this.logger.error('Start-up load failed', { error: String(err) }));
  }

  /** Lets a running load finish its current installations and stop, before the runtime is closed. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.settled();
  }

  /** POST /api/plugins/reload/: ReloadInProgressError while one runs (the start-up load included). */
  reload(options: ReloadOptions): Promise<ReloadReport> {
    if (this.running) throw new ReloadInProgressError();
    this.running = this.reconcile(options, true).finally(() => (this.running = null));
    return this.running;
  }

  /**
   * Loads these installations, as the start-up load would, if they should run and this node may host them (the
   * placement check): how a node takes over the installations of one whose leases expired. Runs beside a reload.
   */
  async adopt(installationIds: readonly string[]): Promise<ReloadReport> {
    const report: ReloadReport = { loaded: 0, stopped: 0, failed: 0, collected: [] };
    for (const id of installationIds) {
      const installation = await this.installations.find(id);
      if (installation && wantsToRun(installation.status)) await this.bringUp(installation, {}, report);
    }
    return report;
  }

  /** Resolves when the current reload (or the start-up load) is over. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  status(): { activePlugins: number; errors: RegistryError[]; inProgress: boolean; lastReloadAt: Date | null } {
    return {
      activePlugins: this.runtime.list().filter((s) => s.state === 'ready').length,
      errors: [...this.errors],
      inProgress: this.running !== null,
      lastReloadAt: this.lastReloadAt,
    };
  }

  /** Records a problem for GET /api/plugins/status/ (the newest thousand are kept). */
  record(error: Omit<RegistryError, 'at' | 'installationId'>, installationId: string | null): void {
    this.errors.push({ ...error, installationId, at: this.clock.now() });
    if (this.errors.length > MAX_ERRORS) this.errors.splice(0, this.errors.length - MAX_ERRORS);
  }

  /**
   * The runtime gave up on an instance (its crash policy): the installation is `failed` until it is restarted.
   * Runs after any start in progress on it, and only if the instance is still failed by then.
   */
  @OnPlughubEvent('runtime.state')
  async onRuntimeState(event: StateChangeEvent): Promise<void> {
    if (event.to !== 'failed') return;
    await this.runtime.exclusive(event.installationId, async () => {
      if (this.runtime.status(event.installationId)?.state !== 'failed') return;
      const installation = await this.installations.find(event.installationId);
      if (!installation || installation.status !== 'active') return;
      const reason = event.reason ?? 'the runtime marked it failed';
      const failed = await this.installations.update(
        installation.id,
        { status: 'failed', statusReason: reason },
        { status: ['active'] },
      );
      if (!failed) return;
      this.record({ stage: 'runtime', name: installation.pluginKey, message: reason }, installation.id);
      await this.events.statusChanged(failed, 'active', { kind: 'system' }, reason);
    });
  }

  private async reconcile(options: ReloadOptions, explicit: boolean): Promise<ReloadReport> {
    const report: ReloadReport = { loaded: 0, stopped: 0, failed: 0, collected: [] };
    if (options.collectPlugins) report.collected = await this.shipped.load(projectFile('plugins'));
    const wanted = await this.installations.listEnabled();
    const wantedIds = new Set(wanted.map((i) => i.id));

    // On a reload, instances nothing wants any more (uninstalled or disabled behind the runtime's back) are
    // stopped. The start-up load leaves alone what others loaded meanwhile: nothing of ours runs before it.
    for (const instance of explicit ? this.runtime.list() : []) {
      if (wantedIds.has(instance.installationId)) continue;
      await this.runtime.exclusive(instance.installationId, async () => {
        const stored = await this.installations.find(instance.installationId);
        if (stored && (wantsToRun(stored.status) || stored.operationId !== null)) return;
        await this.runtime.stop(instance.installationId, 'reload: not wanted');
        report.stopped++;
      });
    }

    let next = 0;
    const worker = async () => {
      while (next < wanted.length) await this.bringUp(wanted[next++], options, report);
    };
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, wanted.length) }, worker));

    // A reload without failures clears the errors (the start-up load keeps what recovery recorded).
    if (explicit && report.failed === 0) this.errors = [];
    this.lastReloadAt = this.clock.now();
    this.logger.info('Runtime reconciled', { ...report, collected: report.collected.length, wanted: wanted.length });
    return report;
  }

  private async bringUp(candidate: Installation, options: ReloadOptions, report: ReloadReport): Promise<void> {
    await this.runtime.exclusive(candidate.id, async () => {
      if (this.stopping) return;
      const installation = await this.installations.find(candidate.id);
      if (!installation || !wantsToRun(installation.status) || installation.operationId !== null) return;
      const instance = this.runtime.status(installation.id);
      const current =
        instance?.state === 'ready' &&
        !options.fullReload &&
        !(options.forceReload && instance.version !== installation.installedVersion);
      if (current && installation.status === 'active') return;
      const result = await this.runtime.start(installation);
      if (result.ok) {
        report.loaded++;
        if (installation.status !== 'active') {
          const updated = await this.installations.update(
            installation.id,
            { status: 'active', statusReason: null },
            { status: [installation.status], idle: true },
          );
          if (updated) await this.events.statusChanged(updated, installation.status, { kind: 'system' }, 'reload');
        }
        return;
      }
      if (result.stage === 'placement') return;
      report.failed++;
      this.record({ stage: result.stage, name: installation.pluginKey, message: result.message }, installation.id);
      const updated = await this.installations.update(
        installation.id,
        { status: 'failed', statusReason: result.message },
        { status: [installation.status], idle: true },
      );
      if (updated && installation.status !== 'failed') {
        await this.events.statusChanged(updated, installation.status, { kind: 'system' }, result.message);
      }
    });
  }
}
