import { Inject, Injectable, Optional } from '@nestjs/common';
import { JsonLogger } from '@app/common';
import { normalizeManifest, type PluginManifest, validateManifest } from '@app/plugin-sdk';
import { type InstanceFilter, type InstanceStatus, KeyedMutex, PluginRuntime, RuntimeError } from '@app/runtime';
import { PluginVersionsService } from '../registry/plugin-versions.service.js';
import { SecretBox, SecretUnreadableError } from '../secrets/secret-box.js';
import type { Installation } from './installation.entity.js';
import { INSTALLATION_PLACEMENT, type InstallationPlacement } from './installation.ports.js';

/** A version's package as the runtime loads it. */
export interface RunnablePackage {
  manifest: PluginManifest;
  code: string | undefined;
}

/** Where a failed start went wrong, as GET /api/plugins/status/ reports it (`stage`). */
export type StartStage = 'manifest' | 'config' | 'startup' | 'placement';

export type StartResult = { ok: true } | { ok: false; stage: StartStage; message: string };

const PACKAGE_CACHE_SIZE = 256;

/**
 * The installation module's one way into PluginRuntime: one runtime instance per running installation, whose
 * runtime id is the installation id (`runtimeId`). `start` loads the installed version's runner from the
 * registry's stored package with its config, decrypted secrets, grants and limits and runs onInit; `stop` runs
 * onCleanup and frees it. Work on one installation is serialised (`exclusive`), so a boot reload, an activation
 * and an uninstall never interleave on it. Plugin failures come back as results, never thrown.
 */
@Injectable()
export class InstallationRuntime {
  private readonly mutex = new KeyedMutex();
  /** key@version → package: versions are immutable, and 10,000 installations share a few packages. */
  private readonly packages = new Map<string, Promise<RunnablePackage | null>>();
  private readonly logger: JsonLogger;

  constructor(
    private readonly runtime: PluginRuntime,
    private readonly versions: PluginVersionsService,
    private readonly secrets: SecretBox,
    logger: JsonLogger,
    @Optional() @Inject(INSTALLATION_PLACEMENT) private readonly placement?: InstallationPlacement,
  ) {
    this.logger = logger.child('InstallationRuntime');
  }

  /** The id the runtime knows the installation by (PluginRuntime.message, .status, …). */
  runtimeId(installation: Pick<Installation, 'id'>): string {
    return installation.id;
  }

  /** Runs `task` with nothing else happening to this installation on this node. */
  exclusive<T>(installationId: string, task: () => Promise<T>): Promise<T> {
    return this.mutex.run(installationId, task);
  }

  status(installationId: string): InstanceStatus | undefined {
    return this.runtime.status(installationId);
  }

  /** Instances this node runs, ready or not. */
  list(): InstanceStatus[] {
    return this.runtime.list();
  }

  /** The ids of the instances this node runs (all, or as `filter` says), without building a status (PluginRuntime.ids). */
  ids(filter?: InstanceFilter): string[] {
    return this.runtime.ids(filter);
  }

  /** The manifest and runner of key@version, or null when the registry has no loadable package for it. */
  package(key: string, version: string): Promise<RunnablePackage | null> {
    const id = `${key}@${version}`;
    let cached = this.packages.get(id);
    if (!cached) {
      cached = this.readPackage(key, version);
      this.packages.set(id, cached);
      if (this.packages.size > PACKAGE_CACHE_SIZE) this.packages.delete(this.packages.keys().next().value!);
      void cached.then((p) => p ?? this.packages.delete(id)).catch(() => this.packages.delete(id));
    }
    return cached;
  }

  /**
   * (Re)starts the installation as stored: stops a running instance first, then loads the version with its
   * settings, grants and limits and runs onInit. Call it inside `exclusive`.
   */
  async start(installation: Installation): Promise<StartResult> {
    if (this.placement && !(await this.placement.hosts(installation))) {
      return { ok: false, stage: 'placement', message: 'another node hosts this installation' };
    }
    const pkg = await this.package(installation.pluginKey, installation.installedVersion);
    if (!pkg) return { ok: false, stage: 'manifest', message: 'the stored package cannot be loaded' };
    const opened = this.openSecrets(installation);
    if ('unreadable' in opened) {
      return { ok: false, stage: 'config', message: `the secret setting ${opened.unreadable} cannot be decrypted` };
    }
    const { secrets } = opened;
    const id = this.runtimeId(installation);
    if (this.runtime.status(id)) await this.runtime.stop(id, 'restarting');
    try {
      await this.runtime.load({
        installationId: id,
        pluginKey: installation.pluginKey,
        version: installation.installedVersion,
        manifest: pkg.manifest,
        code: pkg.code,
        config: installation.config,
        secrets,
        grants: installation.grants,
        limits: installation.limits ?? undefined,
        storageQuotaBytes: installation.limits?.storage_quota_bytes,
      });
      return { ok: true };
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      // The runtime keeps a failed instance known; the installation records the failure, so free it here.
      await this.runtime.stop(id, 'startup failed').catch(() => undefined);
      const prefix = `${installation.pluginKey}: `;
      const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      return { ok: false, stage: 'startup', message };
    }
  }

  /** The installation's secret settings opened, or the first one that cannot be decrypted (its key is gone). */
  private openSecrets(installation: Installation): { secrets: Record<string, unknown> } | { unreadable: string } {
    const secrets: Record<string, unknown> = {};
    for (const [setting, sealed] of Object.entries(installation.secrets)) {
      try {
        secrets[setting] = this.secrets.open(sealed, secretContext(installation.id, setting));
      } catch (err) {
        if (!(err instanceof SecretUnreadableError)) throw err;
        return { unreadable: setting };
      }
    }
    return { secrets };
  }

  /**
   * Pushes the stored config and secrets of a running installation to its instance without a restart (the next
   * call sees them); settings in `deferred` keep their running value until the next start. False when it does
   * not run here, or a secret cannot be opened (nothing is pushed then). Call it inside `exclusive`.
   */
  async pushSettings(installation: Installation, deferred: readonly string[] = []): Promise<boolean> {
    const id = this.runtimeId(installation);
    const running = this.runtime.status(id);
    if (!running || running.state !== 'ready') return false;
    const opened = this.openSecrets(installation);
    if ('unreadable' in opened) return false;
    const { secrets } = opened;
    const current = this.runtime.settings(id);
    const config = { ...installation.config };
    for (const key of deferred) {
      for (const [next, running] of [
        [config, current?.config],
        [secrets, current?.secrets],
      ] as const) {
        if (running && Object.prototype.hasOwnProperty.call(running, key)) next[key] = running[key];
        else delete next[key];
      }
    }
    await this.runtime.reconfigure(id, { config, secrets });
    return true;
  }

  /**
   * Pushes the stored grants and limits of a running installation to its instance without a restart: a revoked
   * capability is refused from its next use, a lowered limit applies from the next call. False when it does not
   * run here. Call it inside `exclusive`.
   */
  async pushPermissions(installation: Installation): Promise<boolean> {
    const id = this.runtimeId(installation);
    if (!this.runtime.status(id)) return false;
    const { storage_quota_bytes: quota, ...limits } = installation.limits ?? {};
    await this.runtime.reconfigure(id, {
      grants: installation.grants,
      limits,
      storageQuotaBytes: quota ?? this.runtime.platform.defaults.storage_quota_bytes,
    });
    return true;
  }

  /**
   * Runs onCleanup and frees the instance. With `waitMs` the answer comes after at most that long (the runtime
   * bounds onCleanup by the plugin's own timeout and finishes in the background); 0 does not wait.
   */
  async stop(installationId: string, reason: string, waitMs?: number): Promise<void> {
    if (!this.runtime.status(installationId)) return;
    const stopping = this.runtime.stop(installationId, reason).then(
      () => undefined,
      (err: unknown) => {
        this.logger.warn('Stopping an installation failed', { installation_id: installationId, error: String(err) });
      },
    );
    if (waitMs === undefined) return stopping;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([stopping, waited]);
    clearTimeout(timer);
  }

  private async readPackage(key: string, version: string): Promise<RunnablePackage | null> {
    const stored = await this.versions.loadable(key, version);
    if (!stored) return null;
    const checked = validateManifest(stored.manifest);
    if (!checked.valid) return null;
    const manifest = checked.manifest;
    // main without runtime is a sandbox plugin too (seed 002's format).
    if (normalizeManifest(manifest).runtime.type === 'sandbox' && stored.runner === null) return null;
    return { manifest, code: stored.runner ?? undefined };
  }
}

/** What a secret setting's ciphertext is bound to: the installation and the setting. */
export const secretContext = (installationId: string, setting: string) => `${installationId}/${setting}`;
