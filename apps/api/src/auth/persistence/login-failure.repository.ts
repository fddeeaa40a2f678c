import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isDuplicateKey } from '@app/database';
import type { Model } from 'mongoose';
import type { FailureWindow } from '../auth.entity.js';
import { LoginFailureDoc } from './login-failure.schema.js';

/** Counters of failed logins, shared by every API node on the database. */
@Injectable()
export class LoginFailureRepository {
  constructor(@InjectModel(LoginFailureDoc.name) private readonly model: Model<LoginFailureDoc>) {}

  /** The live windows of these counters (ids), by id; a window that is over is not returned. */
  async live(ids: string[], now: Date): Promise<Map<string, FailureWindow>> {
    const docs = await this.model
      .find({ _id: { $in: ids }, reset_at: { $gt: now } })
      .lean<LoginFailureDoc[]>()
      .exec();
    return new Map(docs.map((d) => [d._id, { count: d.count, resetAt: d.reset_at }]));
  }

  /**
   * Counts one failure: in the live window when there is one, else in a new window that ends `windowMs` from now.
   * Two nodes opening a window at once meet on the `_id` index; the loser counts in the winner's window.
   */
  async increment(id: string, now: Date, windowMs: number): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const live = await this.model.updateOne({ _id: id, reset_at: { $gt: now } }, { $inc: { count: 1 } }).exec();
      if (live.matchedCount === 1) return;
      try {
        await this.model
          .updateOne(
            { _id: id, reset_at: { $lte: now } },
            { $set: { count: 1, reset_at: new Date(now.getTime() + windowMs) } },
            { upsert: true },
          )
          .exec();
        return;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
  }

  /** Forgets a counter (an account's, after a successful login). */
  async clear(id: string): Promise<void> {
    await this.model.deleteOne({ _id: id }).exec();
  }
}
