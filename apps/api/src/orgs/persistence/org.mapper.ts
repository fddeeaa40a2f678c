import { ORG_ROLES, type OrgRole } from '@app/common';
import type { Types } from 'mongoose';
import type { Membership, Organisation } from '../org.entity.js';
import type { MembershipDoc } from './membership.schema.js';
import type { OrganisationDoc } from './org.schema.js';

export type OrgLean = OrganisationDoc & { _id: Types.ObjectId };
export type MemberLean = MembershipDoc & { _id: Types.ObjectId };

export const toOrg = (d: OrgLean): Organisation => ({
  id: String(d._id),
  slug: d.slug,
  name: d.name,
  description: d.description,
  createdBy: String(d.created_by),
  createdAt: d.created_at,
});

export const toMember = (d: MemberLean): Membership => ({
  orgId: String(d.org_id),
  userId: String(d.user_id),
  role: d.role,
  joinedAt: d.joined_at,
});

/** Stored roles are read defensively: only one of ORG_ROLES is a role. */
export const isOrgRole = (r: unknown): r is OrgRole => (ORG_ROLES as readonly unknown[]).includes(r);
