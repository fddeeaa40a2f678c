import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PageWindow, Slice } from '@app/common';
import { isObjectIdString, paginate, toObjectId } from '@app/database';
import type { Model } from 'mongoose';
import type { ApiToken, NewApiToken } from '../auth.entity.js';
import { type ApiTokenLean, toApiToken } from './api-token.mapper.js';
import { ApiTokenDoc } from './api-token.schema.js';

@Injectable()
export class ApiTokenRepository {
  constructor(@InjectModel(ApiTokenDoc.name) private readonly model: Model<ApiTokenDoc>) {}

  async create(input: NewApiToken): Promise<ApiToken> {
    const doc = await this.model.create({
      user_id: toObjectId(input.userId),
      name: input.name,
      key_hash: input.keyHash,
      key_prefix: input.keyPrefix,
      scopes: input.scopes,
      expires_at: input.expiresAt,
    });
    return toApiToken(doc.toObject());
  }

  async findByHash(keyHash: string): Promise<ApiToken | null> {
    const doc = await this.model.findOne({ key_hash: keyHash }).lean<ApiTokenLean>().exec();
    return doc ? toApiToken(doc) : null;
  }

  /** The user's unrevoked tokens, newest first. */
  async listLive(userId: string, window: PageWindow): Promise<Slice<ApiToken>> {
    const q = { user_id: toObjectId(userId), revoked_at: null };
    const slice = await paginate<ApiTokenDoc, ApiTokenLean>(this.model, q, { created_at: -1, _id: -1 }, window);
    return { count: slice.count, items: slice.items.map(toApiToken) };
  }

  /** Revokes a token of this user; false when there is no such live token. */
  async revoke(userId: string, id: string, at: Date): Promise<boolean> {
    if (!isObjectIdString(id)) return false;
    const res = await this.model
      .updateOne({ _id: id, user_id: toObjectId(userId), revoked_at: null }, { $set: { revoked_at: at } })
      .exec();
    return res.matchedCount === 1;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { last_used_at: at } }).exec();
  }
}
