import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AppError, type AuthUser, Clock, EventBus, JsonLogger, OnPlughubEvent } from '@app/common';
import type { VersionChangedEvent, VersionReviewedEvent } from '../registry/registry.entity.js';
import type { Actor, Installation } from './installation.entity.js';
import { UpdateAvailability } from './update-availability.js';
import { UpdateService } from './update.service.js';

/** The id auto-update resolves as when nobody installed the installation (shipped with the platform). */
const PLATFORM_USER_ID = '000000000000000000000000';
const SYSTEM: Actor = { kind: 'system' };
const UPDATABLE = new Set(['active', 'disabled', 'failed']);

/**
 * Reacts to approved versions (the registry's `version.reviewed`): recomputes `update_available` /
 * `available_version` of every installation of the plugin, then updates those with `auto_update` to the newest
 * compatible version (same major) as the platform (actor `system`), with a backup, through the same update as
 * POST …/update/ (rolled back by itself when it does not start). Each auto-update is recorded with an
 * `audit.action` event. A yank or a deprecation (`version.changed`) only recomputes the fields; a version restored
 * or undeprecated is released again, and is treated like an approval. The work runs after the request is
 * answered, one plugin at a time; `idle()` awaits it.
 *
 * The update resolves as its installer sees the registry (approved versions only): an auto-update never installs
 * what the installation's owner could not install themselves.
 */
@Injectable()
export class AutoUpdater implements OnModuleDestroy {
  private queue: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly logger: JsonLogger;

  constructor(
    private readonly availability: UpdateAvailability,
    private readonly updates: UpdateService,
    private readonly bus: EventBus,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('AutoUpdater');
  }

  @OnPlughubEvent('version.reviewed')
  onReviewed(event: VersionReviewedEvent): void {
    if (event.decision === 'approved') this.schedule(event.key, true);
  }

  @OnPlughubEvent('version.changed')
  onChanged(event: VersionChangedEvent): void {
    // Withdrawn (yanked, deprecated) makes nothing new installable; released again may.
    this.schedule(event.key, !event.yanked && event.deprecated === null);
  }

  private schedule(key: string, autoUpdate: boolean): void {
    this.queue = this.queue
      .then(() => (this.stopping ? undefined : this.run(key, autoUpdate)))
      .catch((err: unknown) => this.logger.error('Update check failed', { plugin: key, error: String(err) }));
  }

  /** Resolves when every check scheduled so far is done. */
  idle(): Promise<void> {
    return this.queue;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.queue;
  }

  /** Refreshes the update fields of `key`'s installations and (unless told not to) auto-updates those that want it. */
  async run(key: string, autoUpdate = true): Promise<void> {
    const installations = await this.availability.refresh(key);
    if (!autoUpdate) return;
    const released = await this.availability.released(key);
    for (const installation of installations) {
      if (this.stopping) return;
      if (!installation.autoUpdate || installation.operationId !== null || !UPDATABLE.has(installation.status)) {
        continue;
      }
      const version = this.availability.availableFor(installation.installedVersion, released, true);
      if (version) await this.autoUpdate(installation, version);
    }
  }

  private async autoUpdate(installation: Installation, version: string): Promise<void> {
    const base = {
      actor: { kind: 'system' as const, component: 'installation.auto_update' },
      action: 'installation.auto_updated',
      target: { type: 'installation', id: installation.id, key: installation.pluginKey },
      ...(installation.target.scope === 'org' ? { orgId: installation.target.orgId } : {}),
      before: { version: installation.installedVersion, status: installation.status },
    };
    try {
      const result = await this.updates.updateAs(
        callerFor(installation),
        installation,
        SYSTEM,
        { mode: 'update', spec: version, start: true, backup: true, approvedOnly: true },
        'auto_update',
      );
      await this.bus.emit('audit.action', {
        ...base,
        outcome: result.status === 'completed' ? 'success' : 'failure',
        after: { version: result.installation.installed_version, status: result.installation.status },
        details: {
          to_version: version,
          status: result.status,
          backup_id: result.backup_id,
          pending_grants: result.pending_grants,
          ...(result.reason !== null ? { startup_error: result.reason } : {}),
        },
        at: this.clock.now(),
      });
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'INTERNAL_ERROR';
      const reason = err instanceof AppError && typeof err.details.reason === 'string' ? err.details.reason : undefined;
      this.logger.warn('Auto-update refused', {
        installation_id: installation.id,
        plugin: installation.pluginKey,
        to_version: version,
        code,
        reason,
      });
      await this.bus.emit('audit.action', {
        ...base,
        outcome: 'failure',
        details: { to_version: version, code, ...(reason !== undefined ? { reason } : {}) },
        at: this.clock.now(),
      });
    }
  }
}

/** Who the update resolves as: the installation's installer (their organisations' visibility), with no role. */
function callerFor(installation: Installation): AuthUser {
  return {
    id: installation.installedBy ?? PLATFORM_USER_ID,
    email: 'auto-update@plughub.invalid',
    name: 'Plughub auto-update',
    roles: [],
    method: 'jwt',
    scopes: null,
  };
}
