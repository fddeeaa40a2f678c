import { ORG_ROLES, type OrgRole } from '@app/common';
import type { Types } from 'mongoose';
import type { Invitation, Membership, Organisation } from '../org.entity.js';
import type { InvitationDoc } from './invitation.schema.js';
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

export type InvitationLean = InvitationDoc & { _id: Types.ObjectId };

/** A pending invitation past its expiry reads as expired; nothing rewrites it. */
export const toInvitation = (d: InvitationLean, now: Date): Invitation => ({
  id: String(d._id),
  orgId: String(d.org_id),
  invitee: d.invitee,
  role: d.role,
  status: d.status === 'pending' && d.expires_at.getTime() <= now.getTime() ? 'expired' : d.status,
  invitedBy: String(d.invited_by),
  createdAt: d.created_at,
  expiresAt: d.expires_at,
  respondedAt: d.responded_at ?? null,
});
