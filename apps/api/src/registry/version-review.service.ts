import { Injectable } from '@nestjs/common';
import { AppError, type AuthUser, forbidden, hasRole, notFound } from '@app/common';
import { RegistryRepository, type PluginVersion } from './registry.repository.js';
import { RegistryService } from './registry.service.js';

export type ReviewDecision = 'approved' | 'rejected';

/**
 * The review state machine the admin module's review endpoints call. Versions start as `draft` or
 * `pending`; a reviewer (platform role `reviewer`, or an admin) approves or rejects a submitted version, and may
 * revisit the decision later. Drafts must be submitted by their owners first.
 */
@Injectable()
export class VersionReviewService {
  constructor(
    private readonly repo: RegistryRepository,
    private readonly registry: RegistryService,
  ) {}

  async review(
    reviewer: AuthUser,
    key: string,
    version: string,
    decision: ReviewDecision,
    notes: string | null = null,
  ): Promise<PluginVersion> {
    if (!hasRole(reviewer, 'reviewer')) throw forbidden('Reviewing plugin versions needs the reviewer role.');
    const plugin = await this.repo.findPlugin(key);
    if (!plugin || plugin.deletedAt) throw notFound('Plugin', 'PLUGIN_NOT_FOUND');
    const found = await this.repo.findVersion(key, version);
    if (!found) throw notFound('Plugin version', 'PLUGIN_NOT_FOUND');
    if (found.status === 'draft') {
      throw new AppError('CONFLICT', 'This version is a draft; its owner has not submitted it for review.', [], {
        status: found.status,
      });
    }
    const updated = await this.repo.updateVersion(
      key,
      version,
      { status: decision, reviewNotes: notes, reviewedBy: reviewer.id, reviewedAt: new Date() },
      ['pending', 'approved', 'rejected'],
    );
    if (!updated) throw new AppError('CONFLICT', 'The version changed meanwhile; try again.');
    await this.registry.refreshDerived(key);
    return updated;
  }
}
