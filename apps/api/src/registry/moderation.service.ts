import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, EventBus, hasRole } from '@app/common';
import { PluginVersionRepository } from './persistence/plugin-version.repository.js';
import { PluginRepository } from './persistence/plugin.repository.js';
import { PluginStateService } from './plugin-state.service.js';
import type { Plugin, PluginVersion, ReviewDecision } from './registry.entity.js';
import {
  DraftNotSubmittedError,
  pluginNotFound,
  ReviewerRoleRequiredError,
  StaleWriteError,
  versionNotFound,
} from './registry.errors.js';

/**
 * What the admin module's review and verify endpoints call. Versions start as `draft` or `pending`; a reviewer
 * (platform role `reviewer`, or an admin) approves or rejects a submitted version, and may revisit the decision
 * later. Drafts must be submitted by their owners first. Reviewers also mark plugins verified.
 */
@Injectable()
export class ModerationService {
  constructor(
    private readonly plugins: PluginRepository,
    private readonly versions: PluginVersionRepository,
    private readonly state: PluginStateService,
    private readonly events: EventBus,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async reviewVersion(
    reviewer: AuthUser,
    key: string,
    version: string,
    decision: ReviewDecision,
    notes: string | null = null,
  ): Promise<PluginVersion> {
    await this.livePlugin(reviewer, key);
    const found = await this.versions.find(key, version);
    if (!found) throw versionNotFound();
    if (found.status === 'draft') throw new DraftNotSubmittedError();
    const at = this.clock.now();
    const updated = await this.versions.update(
      key,
      version,
      { status: decision, reviewNotes: notes, reviewedBy: reviewer.id, reviewedAt: at },
      ['pending', 'approved', 'rejected'],
    );
    if (!updated) throw new StaleWriteError();
    await this.state.refresh(key);
    await this.events.emit('version.reviewed', { key, version, decision, reviewerId: reviewer.id, at });
    return updated;
  }

  /** Marks a plugin verified (checked by the platform's reviewers), or not. */
  async setVerified(reviewer: AuthUser, key: string, verified: boolean): Promise<Plugin> {
    await this.livePlugin(reviewer, key);
    const updated = await this.plugins.setVerified(key, verified);
    if (!updated) throw pluginNotFound();
    return updated;
  }

  private async livePlugin(reviewer: AuthUser, key: string): Promise<Plugin> {
    if (!hasRole(reviewer, 'reviewer')) throw new ReviewerRoleRequiredError();
    const plugin = await this.plugins.find(key);
    if (!plugin || plugin.deletedAt) throw pluginNotFound();
    return plugin;
  }
}
