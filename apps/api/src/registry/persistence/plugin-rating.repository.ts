import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PageWindow, Slice } from '@app/common';
import { isDuplicateKey, paginate } from '@app/database';
import type { Model } from 'mongoose';
import type { PluginRating } from '../registry.entity.js';
import { PluginReviewDoc } from './plugin-review.schema.js';
import { type ReviewLean, toRating } from './registry.mapper.js';

/** The plugin_reviews collection: one rating per user per plugin. */
@Injectable()
export class PluginRatingRepository {
  constructor(@InjectModel(PluginReviewDoc.name) private readonly reviews: Model<PluginReviewDoc>) {}

  /** Creates or replaces a user's rating; returns the previous rating value (null when new). */
  async upsert(
    key: string,
    userId: string,
    rating: number,
    text: string,
  ): Promise<{ previous: number | null; review: PluginRating }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const before = await this.reviews
          .findOneAndUpdate(
            { plugin_key: key, user_id: userId },
            { $set: { rating, text } },
            { upsert: true, returnDocument: 'before' },
          )
          .lean<ReviewLean>()
          .exec();
        const after = await this.reviews.findOne({ plugin_key: key, user_id: userId }).lean<ReviewLean>().exec();
        if (!after) throw new Error(`the rating of ${userId} for ${key} vanished after its upsert`);
        return { previous: before ? before.rating : null, review: toRating(after) };
      } catch (err) {
        // Two first ratings by the same user racing: the loser retries as an update.
        if (!isDuplicateKey(err) || attempt >= 2) throw err;
      }
    }
  }

  /** Newest first. */
  async list(key: string, window: PageWindow): Promise<Slice<PluginRating>> {
    const q = { plugin_key: key };
    const slice = await paginate<PluginReviewDoc, ReviewLean>(this.reviews, q, { updated_at: -1, _id: -1 }, window);
    return { count: slice.count, items: slice.items.map(toRating) };
  }
}
