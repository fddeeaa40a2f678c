import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { TokenScope } from '@app/common';
import { isValidObjectId, type Model, Types } from 'mongoose';
import { ApiTokenDoc } from './api-token.schema.js';

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  keyPrefix: string;
  scopes: TokenScope[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

type Lean = ApiTokenDoc & { _id: Types.ObjectId };

function toToken(doc: Lean): ApiToken {
  return {
    id: String(doc._id),
    userId: String(doc.user_id),
    name: doc.name,
    keyPrefix: doc.key_prefix,
    scopes: doc.scopes,
    expiresAt: doc.expires_at ?? null,
    lastUsedAt: doc.last_used_at ?? null,
    revokedAt: doc.revoked_at ?? null,
    createdAt: doc.created_at,
  };
}

@Injectable()
export class ApiTokenRepository {
  constructor(@InjectModel(ApiTokenDoc.name) private readonly model: Model<ApiTokenDoc>) {}

  async create(input: {
    userId: string;
    name: string;
    keyHash: string;
    keyPrefix: string;
    scopes: TokenScope[];
    expiresAt: Date | null;
  }): Promise<ApiToken> {
    const doc = await this.model.create({
      user_id: new Types.ObjectId(input.userId),
      name: input.name,
      key_hash: input.keyHash,
      key_prefix: input.keyPrefix,
      scopes: input.scopes,
      expires_at: input.expiresAt,
    });
    return toToken(doc.toObject() as Lean);
  }

  async findByHash(keyHash: string): Promise<ApiToken | null> {
    const doc = await this.model.findOne({ key_hash: keyHash }).lean<Lean>().exec();
    return doc ? toToken(doc) : null;
  }

  async listActive(userId: string, offset: number, limit: number) {
    const q = { user_id: new Types.ObjectId(userId), revoked_at: null };
    const [count, docs] = await Promise.all([
      this.model.countDocuments(q).exec(),
      this.model.find(q).sort({ created_at: -1, _id: -1 }).skip(offset).limit(limit).lean<Lean[]>().exec(),
    ]);
    return { count, items: docs.map(toToken) };
  }

  /** Revokes a token of this user; false when there is no such live token. */
  async revoke(userId: string, id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const res = await this.model
      .updateOne(
        { _id: id, user_id: new Types.ObjectId(userId), revoked_at: null },
        { $set: { revoked_at: new Date() } },
      )
      .exec();
    return res.matchedCount === 1;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { last_used_at: at } }).exec();
  }
}
