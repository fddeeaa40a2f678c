import type { PlatformRole } from '@app/common';

/** A user as the services see it; Mongoose documents never leave the repository. */
export interface User {
  id: string;
  email: string;
  /** The publisher name of the user's plugin keys (`handle.name`); unique among users and organisations. */
  handle: string;
  name: string;
  passwordHash: string;
  roles: PlatformRole[];
  isActive: boolean;
  /** JWTs carry the version they were issued under; raising it (a password change) ends the older ones. */
  tokenVersion: number;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A new account; its handle is claimed under its id right after (UsersService.create). */
export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  roles: PlatformRole[];
}

export type UserChanges = Partial<{
  name: string;
  passwordHash: string;
  roles: PlatformRole[];
  isActive: boolean;
  lastLoginAt: Date;
}>;

export interface UserFilter {
  search?: string;
  role?: PlatformRole;
  isActive?: boolean;
}

export const USER_ORDERINGS = ['email', '-email', 'name', '-name', 'created_at', '-created_at'] as const;
export type UserOrdering = (typeof USER_ORDERINGS)[number];

/** Who a publisher name (a plugin key's first segment) belongs to. */
export interface PublisherOwner {
  type: 'user' | 'org';
  id: string;
}

/** Handles follow the organisation slug rule, so a key's publisher segment is one or the other. */
export const HANDLE_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$';
/** Publisher names nobody may take: `plughub.` keys are the plugins shipped with the server. */
export const RESERVED_PUBLISHER_NAMES: readonly string[] = ['plughub'];

/**
 * The handle a new user gets when none is given: the email's local part, lower-cased, with every run of other
 * characters turned into one dash (`Ann.Lee+x@…` → `ann-lee-x`); `user` when nothing is left.
 */
export function handleFromEmail(email: string): string {
  const local = email.split('@')[0].toLowerCase();
  const base = local
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return base || 'user';
}
