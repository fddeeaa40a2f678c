import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, EventBus, hasRole, type PageWindow, type Slice } from '@app/common';
import { may } from '../auth/access.policy.js';
import { PluginVersionRepository } from './persistence/plugin-version.repository.js';
import { PluginRepository } from './persistence/plugin.repository.js';
import { PluginStateService } from './plugin-state.service.js';
import { ownerTarget } from './plugin-visibility.js';
import type {
  KillChange,
  OverviewCriteria,
  Plugin,
  PluginOrdering,
  PluginVersion,
  ReviewDecision,
  VersionReviewState,
  VersionStatus,
} from './registry.entity.js';
import {
  DraftNotSubmittedError,
  NotPendingError,
  pluginNotFound,
  ReviewerRoleRequiredError,
  ReviewNotesRequiredError,
  SelfApprovalError,
  StaleWriteError,
  versionNotFound,
} from './registry.errors.js';
import { RegistryAccess } from './registry-access.js';
import { RegistryInstallations } from './registry-installations.js';

/** One plugin of the admin overview: its listing, every version's review state, and its installation count. */
export interface OverviewItem {
  plugin: Plugin;
  versions: VersionReviewState[];
  installations: number;
}

/**
 * The review rules, in one place, for the admin module's overview, review and verify endpoints. Versions start as
 * `draft` or `pending`; drafts must be submitted by their owners first. A reviewer (platform role `reviewer`, or
 * an admin) approves or rejects a pending version, once: a decided version is not reviewed again (it is published
 * anew as another version). Rejecting needs notes; nobody approves a plugin they own, manage or published.
 * Reviewers also mark plugins verified. The kill switch's flag lives here too (the admin module pulls it).
 */
@Injectable()
export class ModerationService {
  constructor(
    private readonly plugins: PluginRepository,
    private readonly versions: PluginVersionRepository,
    private readonly state: PluginStateService,
    private readonly registry: RegistryAccess,
    private readonly installations: RegistryInstallations,
    private readonly events: EventBus,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** Every live plugin, whoever owns it, with its versions' review states; `status` keeps those with such a version. */
  async overview(
    reviewer: AuthUser,
    criteria: OverviewCriteria & { status?: VersionStatus },
    ordering: PluginOrdering | undefined,
    window: PageWindow,
  ): Promise<Slice<OverviewItem>> {
    assertReviewer(reviewer);
    const { status, ...rest } = criteria;
    if (status !== undefined) rest.keysIn = await this.versions.keysWithStatus(status);
    const slice = await this.plugins.overview(rest, ordering, window);
    const keys = slice.items.map((p) => p.key);
    const [states, counts] = await Promise.all([
      this.versions.statesOfMany(keys),
      this.installations.countInstallations(keys),
    ]);
    return {
      count: slice.count,
      items: slice.items.map((plugin) => ({
        plugin,
        versions: states.get(plugin.key) ?? [],
        installations: counts.get(plugin.key) ?? 0,
      })),
    };
  }

  /** A plugin as the overview shows it (after a review, a verification or a kill). */
  async overviewItem(key: string): Promise<OverviewItem> {
    const plugin = await this.plugins.find(key);
    if (!plugin || plugin.deletedAt) throw pluginNotFound();
    const [states, counts] = await Promise.all([
      this.versions.statesOfMany([key]),
      this.installations.countInstallations([key]),
    ]);
    return { plugin, versions: states.get(key) ?? [], installations: counts.get(key) ?? 0 };
  }

  /** The plugin, live, for a reviewer; PLUGIN_NOT_FOUND when unknown or unpublished. */
  async livePlugin(reviewer: AuthUser, key: string): Promise<Plugin> {
    assertReviewer(reviewer);
    const plugin = await this.plugins.find(key);
    if (!plugin || plugin.deletedAt) throw pluginNotFound();
    return plugin;
  }

  async reviewVersion(
    reviewer: AuthUser,
    key: string,
    version: string,
    decision: ReviewDecision,
    notes: string | null = null,
  ): Promise<PluginVersion> {
    const plugin = await this.livePlugin(reviewer, key);
    const found = await this.versions.find(key, version);
    if (!found) throw versionNotFound();
    if (found.status === 'draft') throw new DraftNotSubmittedError();
    if (found.status !== 'pending') throw new NotPendingError(found.status);
    if (decision === 'rejected' && !notes?.trim()) throw new ReviewNotesRequiredError();
    if (decision === 'approved' && (await this.isOwnPlugin(reviewer, plugin, found))) throw new SelfApprovalError();
    const at = this.clock.now();
    const updated = await this.versions.update(
      key,
      version,
      { status: decision, reviewNotes: notes, reviewedBy: reviewer.id, reviewedAt: at },
      ['pending'],
    );
    if (!updated) throw new StaleWriteError();
    await this.state.refresh(key);
    await this.events.emit('version.reviewed', {
      key,
      version,
      decision,
      reviewerId: reviewer.id,
      ownerType: plugin.ownerType,
      ownerId: plugin.ownerId,
      notes,
      at,
    });
    return updated;
  }

  /** Marks a plugin verified (checked by the platform's reviewers), or not, recording who, when and why. */
  async setVerified(reviewer: AuthUser, key: string, verified: boolean, notes: string | null = null): Promise<Plugin> {
    await this.livePlugin(reviewer, key);
    const updated = await this.plugins.setVerified(key, { verified, by: reviewer.id, at: this.clock.now(), notes });
    if (!updated) throw pluginNotFound();
    return updated;
  }

  /** Pulls (killed) or lifts the kill switch; a revive only while killed. PLUGIN_NOT_FOUND when unknown. */
  async setKilled(key: string, change: KillChange, onlyIfKilled = false): Promise<Plugin | null> {
    const updated = await this.plugins.setKilled(key, change, onlyIfKilled);
    if (!updated && !onlyIfKilled) throw pluginNotFound();
    return updated;
  }

  /** Plugins whose kill switch changed after `since`, oldest change first (each node's kill watcher). */
  killChangesSince(since: Date, limit?: number): Promise<Plugin[]> {
    return this.plugins.killChangesSince(since, limit);
  }

  /**
   * The reviewer owns the plugin, manages it (other than through the admin role: an owner or admin of its
   * organisation) or published this version: approving it would be approving their own work.
   */
  private async isOwnPlugin(reviewer: AuthUser, plugin: Plugin, version: PluginVersion): Promise<boolean> {
    if (version.publishedBy === reviewer.id || plugin.createdBy === reviewer.id) return true;
    const viewer = await this.registry.viewer(reviewer);
    return may({ ...viewer, isAdmin: false }, 'manage', ownerTarget(plugin));
  }
}

function assertReviewer(caller: AuthUser): void {
  if (!hasRole(caller, 'reviewer')) throw new ReviewerRoleRequiredError();
}
