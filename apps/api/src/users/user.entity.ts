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
