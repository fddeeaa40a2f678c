import type { User, UserChanges } from '../user.entity.js';
import type { UserDoc } from './user.schema.js';

export type UserLean = UserDoc & { _id: unknown };

export function toUser(doc: UserLean): User {
  return {
    id: String(doc._id),
    email: doc.email,
    name: doc.name,
    passwordHash: doc.password_hash,
    roles: doc.roles,
    isActive: doc.is_active,
    lastLoginAt: doc.last_login_at ?? null,
    createdAt: doc.created_at,
    updatedAt: doc.updated_at,
  };
}

const FIELDS: Record<keyof UserChanges, keyof UserDoc> = {
  name: 'name',
  passwordHash: 'password_hash',
  roles: 'roles',
  isActive: 'is_active',
  lastLoginAt: 'last_login_at',
};

/** The `$set` for the given changes; undefined fields are left alone. */
export function toUserSet(changes: UserChanges): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(changes)) {
    if (value !== undefined) set[FIELDS[field as keyof UserChanges]] = value;
  }
  return set;
}
