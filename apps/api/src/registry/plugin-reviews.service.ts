import { Injectable } from '@nestjs/common';
import { AppError, type AuthUser, forbidden, type PageWindow, type Slice } from '@app/common';
import { UsersService } from '../users/users.service.js';
import type { CreatePluginReviewDto } from './dto/plugin-review.dto.js';
import { type PluginRating, RegistryRepository } from './registry.repository.js';
import { RegistryService } from './registry.service.js';
import { canManage } from './visibility.js';

export interface RatingView {
  review: PluginRating;
  userName: string;
}

/** The average as stored and shown: two decimals. */
export const averageOf = (sum: number, count: number) => (count === 0 ? 0 : Math.round((sum / count) * 100) / 100);

/** Ratings: one per user per plugin, editable; the plugin's rating and review count stay exact. */
@Injectable()
export class PluginReviewsService {
  constructor(
    private readonly repo: RegistryRepository,
    private readonly registry: RegistryService,
    private readonly users: UsersService,
  ) {}

  async list(caller: AuthUser, key: string, window: PageWindow): Promise<Slice<RatingView>> {
    await this.registry.visiblePlugin(caller, key);
    const slice = await this.repo.listRatings(key, window.offset, window.limit);
    const users = new Map((await this.users.findByIds(slice.items.map((r) => r.userId))).map((u) => [u.id, u.name]));
    return {
      count: slice.count,
      items: slice.items.map((review) => ({ review, userName: users.get(review.userId) ?? '' })),
    };
  }

  /** Creates or replaces the caller's rating. */
  async rate(caller: AuthUser, key: string, dto: CreatePluginReviewDto): Promise<RatingView & { created: boolean }> {
    const { plugin, viewer } = await this.registry.visiblePlugin(caller, key);
    if (canManage({ ...viewer, isAdmin: false }, plugin)) throw forbidden('You cannot rate your own plugin.');
    if (!plugin.hasApproved) throw new AppError('CONFLICT', 'Only plugins with an approved version can be rated.');
    const { previous, review } = await this.repo.upsertRating(key, caller.id, dto.rating, dto.text ?? '');
    const totals = await this.repo.addToRatingTotals(key, dto.rating - (previous ?? 0), previous === null ? 1 : 0);
    await this.repo.setRatingIfCurrent(key, totals, averageOf(totals.sum, totals.count));
    return { review, userName: caller.name, created: previous === null };
  }
}
