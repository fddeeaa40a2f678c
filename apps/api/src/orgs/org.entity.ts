import type { OrgRole } from '@app/common';

export type { OrgRole };

export interface Organisation {
  id: string;
  slug: string;
  name: string;
  description: string;
  createdBy: string;
  createdAt: Date;
}

export interface NewOrganisation {
  slug: string;
  name: string;
  description: string;
  createdBy: string;
}

export interface Membership {
  orgId: string;
  userId: string;
  role: OrgRole;
  joinedAt: Date;
}

export interface OrgFilter {
  /** Only these organisations; undefined means all of them. */
  ids?: string[];
  search?: string;
}
