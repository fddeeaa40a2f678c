import { Injectable } from '@nestjs/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { UsersService } from '../users/users.service.js';
import { type CreatePluginReviewDto, PluginReviewResponseDto } from './dto/plugin-review.dto.js';
import { PluginRatingRepository } from './persistence/plugin-rating.repository.js';
import { PluginRepository } from './persistence/plugin.repository.js';
import { canManage } from './plugin-visibility.js';
import { NotRatableError, OwnPluginRatingError } from './registry.errors.js';
import { RegistryAccess } from './registry-access.js';

/** The average as stored and shown: two decimals. */
export const averageOf = (sum: number, count: number) => (count === 0 ? 0 : Math.round((sum / count) * 100) / 100);

/** Ratings: one per user per plugin, editable; the plugin's rating and review count stay exact. */
@Injectable()
export class PluginReviewsService {
  constructor(
    private readonly ratings: PluginRatingRepository,
    private readonly plugins: PluginRepository,
    private readonly registry: RegistryAccess,
    private readonly users: UsersService,
  ) {}

  async list(caller: AuthUser, key: string, window: PageWindow): Promise<Slice<PluginReviewResponseDto>> {
    await this.registry.visiblePlugin(caller, key);
    const slice = await this.ratings.list(key, window);
    const users = new Map((await this.users.findByIds(slice.items.map((r) => r.userId))).map((u) => [u.id, u.name]));
    return {
      count: slice.count,
      items: slice.items.map((review) => PluginReviewResponseDto.from(review, users.get(review.userId) ?? '')),
    };
  }

  /** Creates or replaces the caller's rating; `created` tells the controller which status to answer. */
  async rate(
    caller: AuthUser,
    key: string,
    dto: CreatePluginReviewDto,
  ): Promise<{ created: boolean; review: PluginReviewResponseDto }> {
    const { plugin, viewer } = await this.registry.visiblePlugin(caller, key);
    // Managing a plugin through the admin role does not make it yours: admins may rate others' plugins.
    if (canManage({ ...viewer, isAdmin: false }, plugin)) throw new OwnPluginRatingError();
    if (!plugin.hasApproved) throw new NotRatableError();
    const { previous, review } = await this.ratings.upsert(key, caller.id, dto.rating, dto.text ?? '');
    const totals = await this.plugins.addToRatingTotals(key, dto.rating - (previous ?? 0), previous === null ? 1 : 0);
    await this.plugins.setRatingIfCurrent(key, totals, averageOf(totals.sum, totals.count));
    return { created: previous === null, review: PluginReviewResponseDto.from(review, caller.name) };
  }
}
