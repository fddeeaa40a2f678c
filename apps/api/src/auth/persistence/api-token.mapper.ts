import type { Types } from 'mongoose';
import type { ApiToken } from '../auth.entity.js';
import type { ApiTokenDoc } from './api-token.schema.js';

export type ApiTokenLean = ApiTokenDoc & { _id: Types.ObjectId };

export function toApiToken(doc: ApiTokenLean): ApiToken {
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
