import { PLATFORM_ROLES, type PlatformRole } from '@app/common';
import { toSet } from '@app/database';
import type { User, UserChanges } from '../user.entity.js';
import type { UserDoc } from './user.schema.js';

export type UserLean = UserDoc & { _id: unknown };

const isRole = (r: unknown): r is PlatformRole => (PLATFORM_ROLES as readonly unknown[]).includes(r);

/**
 * Stored data is read defensively: a document written before a rule existed (or by hand) may hold null or junk
 * in `roles` and `is_active`. No role is read from anything but a list of known roles, and only `true` is active,
 * so a null never passes a role or status check.
 */
export function toUser(doc: UserLean): User {
  return {
    id: String(doc._id),
    email: doc.email,
    handle: typeof doc.handle === 'string' ? doc.handle : '',
    name: typeof doc.name === 'string' ? doc.name : '',
    passwordHash: typeof doc.password_hash === 'string' ? doc.password_hash : '',
    roles: Array.isArray(doc.roles) ? doc.roles.filter(isRole) : [],
    isActive: doc.is_active === true,
    tokenVersion: typeof doc.token_version === 'number' ? doc.token_version : 0,
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
export const toUserSet = (changes: UserChanges): Record<string, unknown> => toSet(FIELDS, changes);
