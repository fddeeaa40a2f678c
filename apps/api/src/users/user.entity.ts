import type { PlatformRole } from '@app/common';

/** A user as the services see it; Mongoose documents never leave the repository. */
export interface User {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  roles: PlatformRole[];
  isActive: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

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
